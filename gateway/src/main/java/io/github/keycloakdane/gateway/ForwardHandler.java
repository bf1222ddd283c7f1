package io.github.keycloakdane.gateway;

import io.github.keycloakdane.core.DaneOutcome;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Logger;

/**
 * Forwards each HTTP/1.1 request (parsed by Netty's codec) to Keycloak with the handshake's result: the authenticated
 * name in the identity header and the certificate in the certificate header (nginx's escaped PEM), both always set by
 * the gateway, never passed on from the client. A connection without an authenticated name reaches only the
 * configured unauthenticated paths (403 elsewhere). Responses go back in request order.
 */
final class ForwardHandler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger LOG = Logger.getLogger(ForwardHandler.class.getName());

    /** Hop-by-hop headers (RFC 9110 7.6.1) and the ones the JDK client sets itself. */
    private static final Set<String> NOT_FORWARDED = Set.of("connection", "keep-alive", "proxy-connection", "te",
            "trailer", "transfer-encoding", "upgrade", "host", "content-length", "expect", "proxy-authorization",
            "proxy-authenticate", "http2-settings");

    private final GatewayConfig config;
    private final HttpClient client;
    private final DaneTlsServer tls;
    private CompletableFuture<Void> previous = CompletableFuture.completedFuture(null);

    ForwardHandler(GatewayConfig config, HttpClient client, DaneTlsServer tls) {
        this.config = config;
        this.client = client;
        this.tls = tls;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        String uri = request.uri();
        DaneOutcome outcome = tls.outcome();
        CompletableFuture<FullHttpResponse> response;
        if (!request.decoderResult().isSuccess() || !uri.startsWith("/")) {
            response = CompletableFuture.completedFuture(plain(HttpResponseStatus.BAD_REQUEST, "bad request\n"));
        } else if (outcome == null && !config.unauthenticatedAllowed(path(uri))) {
            response = CompletableFuture.completedFuture(plain(HttpResponseStatus.FORBIDDEN,
                    "this path needs a client authenticated by dane_clientid\n"));
        } else {
            response = forward(ctx, request, outcome);
        }
        CompletableFuture<Void> ready = previous;
        previous = ready.thenCombine(response, (v, r) -> r).thenAccept(r -> ctx.executor().execute(() -> {
            HttpUtil.setKeepAlive(r, keepAlive);
            var written = ctx.writeAndFlush(r);
            if (!keepAlive) {
                written.addListener(ChannelFutureListener.CLOSE);
            }
        }));
    }

    private CompletableFuture<FullHttpResponse> forward(ChannelHandlerContext ctx, FullHttpRequest request,
                                                        DaneOutcome outcome) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(config.upstream() + request.uri()))
                .timeout(Duration.ofSeconds(60));
        String identity = config.identityHeader().toLowerCase(Locale.ROOT);
        String certificate = config.certificateHeader().toLowerCase(Locale.ROOT);
        for (Map.Entry<String, String> h : request.headers()) {
            String name = h.getKey().toLowerCase(Locale.ROOT);
            if (NOT_FORWARDED.contains(name) || name.equals(identity) || name.equals(certificate)
                    || name.startsWith("x-forwarded-") || name.equals("forwarded")) {
                continue;
            }
            b.header(h.getKey(), h.getValue());
        }
        if (outcome != null) {
            b.header(config.identityHeader(), outcome.identity());
            List<X509Certificate> chain = tls.clientChain();
            if (!chain.isEmpty()) {
                b.header(config.certificateHeader(), escapedPem(chain.get(0)));
            }
        }
        String host = request.headers().get(HttpHeaderNames.HOST);
        if (host != null) {
            b.header("X-Forwarded-Host", host);
        }
        if (ctx.channel().remoteAddress() instanceof InetSocketAddress remote) {
            b.header("X-Forwarded-For", remote.getAddress().getHostAddress());
        }
        b.header("X-Forwarded-Proto", "https");
        byte[] body = ByteBufUtil.getBytes(request.content());
        b.method(request.method().name(), body.length == 0 ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body));
        return client.sendAsync(b.build(), HttpResponse.BodyHandlers.ofByteArray())
                .thenApply(ForwardHandler::toNetty)
                .exceptionally(e -> {
                    LOG.warning("upstream " + config.upstream() + " failed: " + e);
                    return plain(HttpResponseStatus.BAD_GATEWAY, "upstream unavailable\n");
                });
    }

    private static FullHttpResponse toNetty(HttpResponse<byte[]> upstream) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1,
                HttpResponseStatus.valueOf(upstream.statusCode()), Unpooled.wrappedBuffer(upstream.body()));
        upstream.headers().map().forEach((name, values) -> {
            String lower = name.toLowerCase(Locale.ROOT);
            if (!NOT_FORWARDED.contains(lower) && !lower.startsWith(":")) {
                r.headers().add(name, values);
            }
        });
        HttpUtil.setContentLength(r, upstream.body().length);
        return r;
    }

    private static FullHttpResponse plain(HttpResponseStatus status, String text) {
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, status,
                Unpooled.copiedBuffer(text, StandardCharsets.UTF_8));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.TEXT_PLAIN);
        HttpUtil.setContentLength(r, r.content().readableBytes());
        return r;
    }

    private static String path(String uri) {
        int q = uri.indexOf('?');
        return q < 0 ? uri : uri.substring(0, q);
    }

    /** nginx's {@code $ssl_client_escaped_cert}: the PEM, URL-encoded. */
    static String escapedPem(X509Certificate cert) {
        try {
            String pem = "-----BEGIN CERTIFICATE-----\n"
                    + Base64.getMimeEncoder(64, new byte[]{'\n'}).encodeToString(cert.getEncoded())
                    + "\n-----END CERTIFICATE-----\n";
            return URLEncoder.encode(pem, StandardCharsets.UTF_8);
        } catch (CertificateEncodingException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.fine(() -> "HTTP error: " + cause);
        ctx.close();
    }
}
