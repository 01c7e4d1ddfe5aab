package io.masterwork.worker;

import io.masterwork.api.Listener;
import io.masterwork.posix.Posix;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;

import java.net.InetSocketAddress;
import java.util.Map;

/**
 * A listening socket inherited from the master on descriptor 6+i. Netty serves it without binding:
 * a ServerBootstrap whose channel factory returns the server channel built on the descriptor, and
 * {@code register()} instead of {@code bind()} — the socket is already listening, so the channel is
 * active on registration and starts accepting.
 */
final class InheritedListener implements Listener {
    private final int index;
    private final int fd;
    private final InetSocketAddress address;
    private final EventLoopGroup group;
    private final Posix posix;
    private ServerChannel channel;
    private boolean closedUnserved;

    InheritedListener(Posix posix, int index, int fd, InetSocketAddress address,
                      EventLoopGroup group) {
        this.posix = posix;
        this.index = index;
        this.fd = fd;
        this.address = address;
        this.group = group;
    }

    @Override
    public int index() {
        return index;
    }

    @Override
    public InetSocketAddress address() {
        return address;
    }

    int fd() {
        return fd;
    }

    @Override
    @SuppressWarnings("unchecked")
    public synchronized ServerChannel serve(ChannelHandler childHandler, Map<ChannelOption<?>, Object> childOptions) {
        if (channel != null || closedUnserved) {
            throw new IllegalStateException("listener " + index + " (" + address + ") is already served");
        }
        EpollServerSocketChannel server = new EpollServerSocketChannel(fd);
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(group)
                .channelFactory(() -> server)
                .childHandler(childHandler)
                .childOption(ChannelOption.TCP_NODELAY, true);
        if (!childOptions.isEmpty()) {
            java.util.Set<ChannelOption<?>> known = knownChildOptions();
            for (Map.Entry<ChannelOption<?>, Object> option : childOptions.entrySet()) {
                ChannelOption<Object> key = (ChannelOption<Object>) option.getKey();
                if (!known.contains(key)) {
                    // Netty would only log it at each accept: say it once, now, to the application that asked.
                    throw new IllegalArgumentException("listener " + index + ": " + key.name()
                            + " is not an option of an accepted connection (an epoll TCP socket)");
                }
                try {
                    key.validate(option.getValue());
                } catch (RuntimeException e) {
                    throw new IllegalArgumentException("listener " + index + ": child option " + key.name() + ": " + e.getMessage(), e);
                }
                bootstrap.childOption(key, option.getValue());
            }
        }
        ChannelFuture registered = bootstrap.register();
        if (registered.isDone() && !registered.isSuccess()) {
            throw new IllegalStateException("cannot serve listener " + index + " (" + address + ")", registered.cause());
        }
        channel = server;
        return server;
    }

    /** The options an accepted connection takes: those of an epoll TCP socket's config (a throwaway socket's). */
    private static java.util.Set<ChannelOption<?>> knownChildOptions() {
        io.netty.channel.epoll.EpollSocketChannel probe = new io.netty.channel.epoll.EpollSocketChannel();
        try {
            return probe.config().getOptions().keySet();
        } finally {
            probe.unsafe().closeForcibly();
        }
    }

    /** Closes the descriptor of a listener the application never served (the shutdown path). */
    synchronized void closeUnserved() {
        if (channel == null && !closedUnserved) {
            closedUnserved = true;
            posix.closeQuietly(fd);
        }
    }

    @Override
    public synchronized ServerChannel channel() {
        return channel;
    }
}
