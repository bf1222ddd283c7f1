package io.github.keycloakdane.gateway;

import io.github.keycloakdane.core.DaneVerifier;
import io.github.keycloakdane.core.TlsaSource;
import io.github.keycloakdane.settings.ServerOption;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import org.bouncycastle.tls.Certificate;
import org.bouncycastle.tls.CertificateEntry;
import org.bouncycastle.tls.TlsUtils;
import org.bouncycastle.tls.crypto.impl.bc.BcTlsCrypto;

import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;

/**
 * The TLS-native gateway: terminates TLS 1.3 for Keycloak, authenticates each client by the {@code dane_clientid} it
 * sends in its Certificate message (draft-ietf-dance-client-auth) with the provider's own DANE verifier, and forwards
 * HTTP/1.1 to Keycloak with the authenticated name in Keycloak's {@code proxy-identity-header}. Run:
 * {@code java -jar keycloak-dane-gateway.jar --upstream http://127.0.0.1:8080 --cert gw.pem --key gw.key ...}.
 */
public final class DaneGateway implements AutoCloseable {

    private static final Logger LOG = Logger.getLogger(DaneGateway.class.getName());

    private final GatewayConfig config;
    private final EventLoopGroup boss = new NioEventLoopGroup(1);
    private final EventLoopGroup workers = new NioEventLoopGroup();
    private final ThreadPoolExecutor tlsPool;
    private final Channel channel;

    public static void main(String[] args) throws Exception {
        if (args.length == 0 || args[0].equals("--help")) {
            System.out.println("usage: java -jar keycloak-dane-gateway.jar --upstream URL --cert FILE --key FILE"
                    + " [options]\n\n" + GatewayOption.markdownTable().replace("`", ""));
            return;
        }
        GatewayConfig config;
        try {
            config = GatewayConfig.parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.exit(2);
            return;
        }
        DaneGateway gateway = start(config, config.dane().dnsSource(ServerOption::cliFlag));
        Runtime.getRuntime().addShutdownHook(new Thread(gateway::close));
        gateway.channel.closeFuture().sync();
    }

    /** Starts on {@code config.listen()} with TLSA answers from {@code source}. */
    public static DaneGateway start(GatewayConfig config, TlsaSource source) throws InterruptedException {
        return new DaneGateway(config, source);
    }

    private DaneGateway(GatewayConfig config, TlsaSource source) throws InterruptedException {
        this.config = config;
        DaneVerifier verifier = new DaneVerifier(source, config.dane().allowList(), config.dane().matchPolicy());
        BcTlsCrypto crypto = new BcTlsCrypto(new SecureRandom());
        Certificate serverChain = serverChain(crypto, config);
        AtomicInteger threads = new AtomicInteger();
        tlsPool = new ThreadPoolExecutor(0, config.maxHandshakes(), 30, TimeUnit.SECONDS, new SynchronousQueue<>(),
                r -> {
                    Thread t = new Thread(r, "gateway-tls-" + threads.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                });
        HttpClient upstream = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(10)).followRedirects(HttpClient.Redirect.NEVER).build();
        ServerBootstrap bootstrap = new ServerBootstrap().group(boss, workers)
                .channel(NioServerSocketChannel.class)
                .option(ChannelOption.SO_BACKLOG, 1024)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        String peer = String.valueOf(ch.remoteAddress());
                        DaneTlsServer tls = new DaneTlsServer(crypto, config, serverChain, verifier, peer);
                        ch.pipeline().addLast("tls", new BcTlsHandler(tls, tlsPool, config.handshakeTimeout()));
                        ch.pipeline().addLast("http", new HttpServerCodec());
                        ch.pipeline().addLast("aggregate", new HttpObjectAggregator(1 << 20));
                        ch.pipeline().addLast("forward", new ForwardHandler(config, upstream, tls));
                        ch.pipeline().addLast("events", new ChannelInboundHandlerAdapter() {
                            @Override
                            public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                                // HANDSHAKE_COMPLETE and idle events end here
                            }
                        });
                    }
                });
        channel = bootstrap.bind(config.listen()).sync().channel();
        LOG.info("keycloak-dane gateway on " + address() + " (TLS 1.3, dane_clientid=" + config.codepoint()
                + ") forwarding to " + config.upstream() + " with " + config.identityHeader());
    }

    private static Certificate serverChain(BcTlsCrypto crypto, GatewayConfig config) {
        CertificateEntry[] entries = new CertificateEntry[config.chain().size()];
        try {
            for (int i = 0; i < entries.length; i++) {
                X509Certificate c = config.chain().get(i);
                entries[i] = new CertificateEntry(crypto.createCertificate(c.getEncoded()), null);
            }
        } catch (Exception e) {
            throw new IllegalArgumentException(GatewayOption.CERT.flag() + ": " + e.getMessage(), e);
        }
        return new Certificate(TlsUtils.EMPTY_BYTES, entries);
    }

    public InetSocketAddress address() {
        return (InetSocketAddress) channel.localAddress();
    }

    public GatewayConfig config() {
        return config;
    }

    @Override
    public void close() {
        channel.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        tlsPool.shutdownNow();
    }
}
