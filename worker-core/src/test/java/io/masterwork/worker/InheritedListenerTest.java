package io.masterwork.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.masterwork.posix.Posix;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoEventLoop;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** {@code Listener.serve} with child options, on a real listening socket served the way a worker serves it. */
class InheritedListenerTest {
    private static final Posix POSIX = SiblingInboxesTest.POSIX;
    private final MultiThreadIoEventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    private final IoEventLoop loop = group.next();
    private final int fd = POSIX.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
    private final InheritedListener listener = new InheritedListener(POSIX, 0, fd, POSIX.localAddress(fd), loop);

    @AfterEach
    void close() throws Exception {
        if (listener.channel() != null) {
            listener.channel().close().sync();
        } else {
            listener.closeUnserved();
        }
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
    }

    @Test
    void acceptedConnectionsGetTheChildOptionsAndKeepNoDelay() throws Exception {
        POSIX.setNonBlocking(fd, true);
        BlockingQueue<Channel> accepted = new ArrayBlockingQueue<>(1);
        listener.serve(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
                accepted.add(channel);
            }
        }, Map.of(ChannelOption.SO_KEEPALIVE, true));
        try (Socket client = new Socket()) {
            client.connect(listener.address(), 2000);
            Channel channel = accepted.poll(10, TimeUnit.SECONDS);
            assertThat(channel).isNotNull();
            assertThat(channel.config().getOption(ChannelOption.SO_KEEPALIVE)).isTrue();
            assertThat(channel.config().getOption(ChannelOption.TCP_NODELAY)).isTrue();
        }
    }

    @Test
    void anOptionAnAcceptedConnectionDoesNotTakeIsRefusedByName() {
        assertThatThrownBy(() -> listener.serve(new ChannelInitializer<Channel>() {
            @Override
            protected void initChannel(Channel channel) {
            }
        }, Map.of(ChannelOption.SO_BROADCAST, true)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("SO_BROADCAST");
        assertThat(listener.channel()).as("nothing served").isNull();
    }
}
