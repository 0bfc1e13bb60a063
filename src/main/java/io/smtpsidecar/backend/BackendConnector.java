package io.smtpsidecar.backend;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFactory;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPromise;
import io.netty.channel.EventLoop;
import io.netty.resolver.AddressResolverGroup;
import io.smtpsidecar.addr.IpAddresses;
import io.smtpsidecar.config.SidecarConfig;
import io.smtpsidecar.health.Readiness;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/**
 * Opens backend connections on one event loop, for the sessions, the warm pool and the readiness probe alike: a
 * channel with {@code TCP_NODELAY}, the connect timeout of {@code backend.connectTimeout}, and the host name resolved
 * without blocking (an IP literal is used as it is). Every connection the backend accepts tells {@link Readiness}.
 */
public final class BackendConnector {
    private final EventLoop loop;
    private final ChannelFactory<? extends Channel> channels;
    private final AddressResolverGroup<InetSocketAddress> resolvers;
    private final Readiness readiness;

    public BackendConnector(EventLoop loop, ChannelFactory<? extends Channel> channels,
                            AddressResolverGroup<InetSocketAddress> resolvers, Readiness readiness) {
        this.loop = loop;
        this.channels = channels;
        this.resolvers = resolvers;
        this.readiness = readiness;
    }

    public EventLoop eventLoop() {
        return loop;
    }

    /**
     * Connects a new channel with {@code handler} as its only handler.
     *
     * @return the connect result; its channel exists at once (close it to abandon the attempt)
     */
    public ChannelFuture connect(SidecarConfig.Backend backend, ChannelHandler handler) {
        Channel channel = channels.newChannel();
        channel.config().setOption(ChannelOption.TCP_NODELAY, true);
        channel.config().setConnectTimeoutMillis((int) Math.min(Integer.MAX_VALUE, backend.connectTimeout().toMillis()));
        channel.pipeline().addLast(handler);
        ChannelPromise connected = channel.newPromise();
        loop.register(channel).addListener(registered -> {
            if (!registered.isSuccess()) {
                connected.tryFailure(registered.cause());
                return;
            }
            InetAddress literal = IpAddresses.parse(backend.host());
            if (literal != null) {
                connect(channel, new InetSocketAddress(literal, backend.port()), connected);
                return;
            }
            resolvers.getResolver(loop).resolve(InetSocketAddress.createUnresolved(backend.host(), backend.port()))
                .addListener(resolved -> {
                    if (resolved.isSuccess()) {
                        connect(channel, (InetSocketAddress) resolved.getNow(), connected);
                    } else {
                        channel.close();
                        connected.tryFailure(resolved.cause());
                    }
                });
        });
        return connected;
    }

    private void connect(Channel channel, InetSocketAddress address, ChannelPromise connected) {
        channel.connect(address).addListener(f -> {
            if (f.isSuccess()) {
                readiness.backendAccepted();
                connected.trySuccess();
            } else {
                channel.close();
                connected.tryFailure(f.cause());
            }
        });
    }

    /**
     * Connects and starts the handshake ({@link BackendHandshake#opened()}: greeting, and EHLO for XCLIENT).
     *
     * @param preamble bytes to send first (the PROXY header of the proxy-v1/v2 handshakes), or null
     */
    public BackendHandshake open(SidecarConfig.Backend backend, String ehloName, byte[] preamble) {
        BackendHandshake handshake = new BackendHandshake(backend, ehloName);
        ChannelFuture connected = connect(backend, handshake);
        handshake.connecting(connected.channel());
        connected.addListener(f -> {
            if (f.isSuccess()) {
                handshake.connected(preamble);
            } else {
                handshake.connectFailed(new BackendFailure("connect", backend.host() + ":" + backend.port() + ": "
                    + f.cause().getMessage()));
            }
        });
        return handshake;
    }
}
