package io.github.keycloakdane.gateway;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelDuplexHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPromise;
import io.netty.channel.socket.SocketChannel;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import org.bouncycastle.tls.TlsServerProtocol;

import java.io.IOException;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * TLS for one Netty channel with BouncyCastle's non-blocking engine ({@code offerInput}/{@code readOutput}): ciphertext
 * from the socket goes in, records to send and decrypted application data come out. Every engine call runs on the
 * connection's {@link SerialExecutor}, off the event loop, because the engine's callbacks block on the DANE lookup;
 * decrypted data is handed back to the event loop, in order, for the HTTP codec after this handler. Nothing but the
 * handshake reaches the HTTP side before the handshake (DANE check included) has succeeded.
 */
final class BcTlsHandler extends ChannelDuplexHandler {

    private static final Logger LOG = Logger.getLogger(BcTlsHandler.class.getName());

    /** Fired on the pipeline once the handshake, DANE check included, has succeeded. */
    static final Object HANDSHAKE_COMPLETE = new Object();

    /** How long a refused connection is kept half-open for the client to read the alert. */
    private static final long LINGER_MILLIS = 2000;

    private final DaneTlsServer server;
    private final Executor pool;
    private final Duration handshakeTimeout;
    private final TlsServerProtocol protocol = new TlsServerProtocol();
    private SerialExecutor serial;
    private ScheduledFuture<?> timeout;
    private boolean announced;
    /** After a fatal alert: input is read and dropped until the client closes (or a short grace), see fail(). */
    private volatile boolean failed;

    BcTlsHandler(DaneTlsServer server, Executor pool, Duration handshakeTimeout) {
        this.server = server;
        this.pool = pool;
        this.handshakeTimeout = handshakeTimeout;
    }

    DaneTlsServer server() {
        return server;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) throws Exception {
        serial = new SerialExecutor(pool, () -> {
            LOG.warning("max-handshakes reached: closing a connection from " + ctx.channel().remoteAddress());
            ctx.channel().close();
        });
        timeout = ctx.executor().schedule(() -> {
            if (!server.handshakeComplete()) {
                ctx.close();
            }
        }, handshakeTimeout.toMillis(), TimeUnit.MILLISECONDS);
        serial.execute(() -> {
            try {
                protocol.accept(server);
            } catch (IOException e) {
                fail(ctx, e);
                return;
            }
            flushOutput(ctx, null);
        });
        super.channelActive(ctx);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (failed) {
            ReferenceCountUtil.release(msg);
            return;
        }
        byte[] bytes;
        try {
            ByteBuf buf = (ByteBuf) msg;
            bytes = new byte[buf.readableBytes()];
            buf.readBytes(bytes);
        } finally {
            ReferenceCountUtil.release(msg);
        }
        serial.execute(() -> {
            try {
                protocol.offerInput(bytes);
            } catch (IOException e) {
                fail(ctx, e);
                return;
            }
            flushOutput(ctx, null);
            boolean completeNow = server.handshakeComplete() && !announced;
            if (completeNow) {
                announced = true;
                ctx.executor().execute(() -> {
                    if (timeout != null) {
                        timeout.cancel(false);
                    }
                    ctx.fireUserEventTriggered(HANDSHAKE_COMPLETE);
                });
            }
            int available = protocol.getAvailableInputBytes();
            if (available > 0) {
                byte[] plain = new byte[available];
                protocol.readInput(plain, 0, available);
                ctx.executor().execute(() -> ctx.fireChannelRead(Unpooled.wrappedBuffer(plain)));
            }
            if (protocol.isClosed()) {
                ctx.executor().execute(ctx::close);
            }
        });
    }

    @Override
    public void write(ChannelHandlerContext ctx, Object msg, ChannelPromise promise) {
        if (!(msg instanceof ByteBuf buf)) {
            ReferenceCountUtil.release(msg);
            promise.setFailure(new IllegalArgumentException("ByteBuf expected"));
            return;
        }
        byte[] plain = new byte[buf.readableBytes()];
        buf.readBytes(plain);
        buf.release();
        serial.execute(() -> {
            try {
                protocol.writeApplicationData(plain, 0, plain.length);
            } catch (IOException e) {
                promise.tryFailure(e);
                fail(ctx, e);
                return;
            }
            flushOutput(ctx, promise);
        });
    }

    @Override
    public void flush(ChannelHandlerContext ctx) {
        // every write is flushed by flushOutput
    }

    @Override
    public void close(ChannelHandlerContext ctx, ChannelPromise promise) {
        if (serial == null) {
            ctx.close(promise);
            return;
        }
        serial.execute(() -> {
            try {
                protocol.close();
            } catch (IOException e) {
                // closing anyway
            }
            flushOutput(ctx, null);
            ctx.executor().execute(() -> ctx.close(promise));
        });
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        LOG.fine(() -> "connection error: " + cause);
        ctx.close();
    }

    /** Sends what the engine has queued (records, or the fatal alert after a failure). */
    private void flushOutput(ChannelHandlerContext ctx, ChannelPromise promise) {
        int n = protocol.getAvailableOutputBytes();
        if (n > 0) {
            byte[] out = new byte[n];
            protocol.readOutput(out, 0, n);
            if (promise != null) {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(out), promise);
            } else {
                ctx.writeAndFlush(Unpooled.wrappedBuffer(out));
            }
        } else if (promise != null) {
            promise.trySuccess();
        }
    }

    /**
     * The engine failed (a fatal alert was queued): send it, then close only our side and drop what the client still
     * sends (its request may already be on the way) until it closes, so that its TCP stack does not reset the
     * connection and discard the alert before the client reads it.
     */
    private void fail(ChannelHandlerContext ctx, IOException e) {
        LOG.fine(() -> "TLS failure from " + ctx.channel().remoteAddress() + ": " + e);
        failed = true;
        flushOutput(ctx, null);
        ctx.executor().execute(() -> {
            if (ctx.channel() instanceof SocketChannel socket && socket.isActive()) {
                socket.shutdownOutput();
                ctx.executor().schedule(() -> {
                    ctx.channel().close();
                }, LINGER_MILLIS, TimeUnit.MILLISECONDS);
            } else {
                ctx.channel().close();
            }
        });
    }
}
