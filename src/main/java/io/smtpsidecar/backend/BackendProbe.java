package io.smtpsidecar.backend;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.ScheduledFuture;
import io.netty.buffer.Unpooled;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.health.Readiness;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * Keeps {@link Readiness} informed about the backend when sessions do not: every half
 * {@code health.backendCheckInterval} without a recent backend connection, it connects (the connector tells
 * readiness), waits for the greeting and says QUIT, so the MTA logs a clean session rather than a lost connection.
 * Runs on the connector's event loop.
 */
public final class BackendProbe {
    private static final byte[] QUIT = "QUIT\r\n".getBytes(StandardCharsets.US_ASCII);

    private final BackendConnector connector;
    private final Supplier<SidecarConfig> config;
    private final Readiness readiness;
    private ScheduledFuture<?> timer;
    private volatile boolean stopped;

    public BackendProbe(BackendConnector connector, Supplier<SidecarConfig> config, Readiness readiness) {
        this.connector = connector;
        this.config = config;
        this.readiness = readiness;
    }

    public void start() {
        connector.eventLoop().execute(this::probe);
    }

    public void stop() {
        stopped = true;
        connector.eventLoop().execute(() -> {
            if (timer != null) {
                timer.cancel(false);
            }
        });
    }

    private void probe() {
        if (stopped) {
            return;
        }
        SidecarConfig c = config.get();
        long half = Math.max(250, c.health().backendCheckInterval().toMillis() / 2);
        if (readiness.notReadyReason(c.health().backendCheckInterval().dividedBy(2)) != null) {
            connector.connect(c.backend(), new GreetAndQuit(c.backend().greetingTimeout().toMillis()));
        }
        timer = connector.eventLoop().schedule(this::probe, half, TimeUnit.MILLISECONDS);
    }

    /** Waits for the greeting, says QUIT, closes at the answer or at the greeting timeout. */
    private static final class GreetAndQuit extends ChannelInboundHandlerAdapter {
        private final long timeoutMs;
        private ScheduledFuture<?> deadline;
        private boolean greeted;

        GreetAndQuit(long timeoutMs) {
            this.timeoutMs = timeoutMs;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            deadline = ctx.executor().schedule(() -> ctx.close(), timeoutMs, TimeUnit.MILLISECONDS);
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ReferenceCountUtil.release(msg);
            if (!greeted) {
                greeted = true;
                ctx.writeAndFlush(Unpooled.wrappedBuffer(QUIT));
            } else {
                ctx.close();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            if (deadline != null) {
                deadline.cancel(false);
            }
        }
    }
}
