package io.masterwork.worker;

import static org.assertj.core.api.Assertions.assertThat;

import io.masterwork.api.MovedConnection;
import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.Command;
import io.masterwork.channel.Successors.Successor;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * {@link Handovers} on a real epoll loop: a real TCP connection accepted by Netty moves through a real
 * SEQPACKET inbox, and the client notices nothing; the receiving side adopts it with its unread bytes first.
 */
class HandoversTest {
    private static final io.masterwork.posix.Posix POSIX = SiblingInboxesTest.POSIX;
    private static final int OWN_PID = 777;
    private static final long OWN_SLOT = 5;
    private final io.netty.channel.MultiThreadIoEventLoopGroup group =
            new io.netty.channel.MultiThreadIoEventLoopGroup(1, io.netty.channel.epoll.EpollIoHandler.newFactory());
    private final io.netty.channel.IoEventLoop loop = group.next();
    private final SiblingInboxes inboxes = new SiblingInboxes(POSIX, loop, OWN_PID, OWN_SLOT);
    private final List<Channel> readers = new java.util.ArrayList<>();
    private final BlockingQueue<io.netty.channel.Channel> accepted = new ArrayBlockingQueue<>(4);
    private io.netty.channel.Channel server;
    private Socket client;
    private final List<Socket> others = new java.util.ArrayList<>();

    private io.netty.channel.Channel connect() throws Exception {
        if (server != null) {
            Socket another = new Socket();
            another.connect(server.localAddress(), 2000);
            others.add(another);
            return accepted.poll(10, TimeUnit.SECONDS);
        }
        server = new ServerBootstrap().group(group).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accepted.add(ch);
                    }
                }).bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        client = new Socket();
        client.connect(server.localAddress(), 2000);
        client.setSoTimeout(300);
        return accepted.poll(10, TimeUnit.SECONDS);
    }

    @AfterEach
    void closeSockets() throws Exception {
        if (client != null) {
            client.close();
        }
        for (Socket other : others) {
            other.close();
        }
        if (server != null) {
            server.close().sync();
        }
        onLoop(() -> {
            inboxes.closeAll();
            return null;
        });
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).await(10, TimeUnit.SECONDS);
        readers.stream().filter(Channel::isOpen).forEach(Channel::close);
    }

    private <T> T onLoop(java.util.concurrent.Callable<T> work) throws Exception {
        return loop.submit(work).get(10, TimeUnit.SECONDS);
    }

    private Channel sibling(long slot, int pid) throws Exception {
        int[] pair = POSIX.socketpair(io.masterwork.posix.SocketType.SEQPACKET);
        Channel reader = new Channel(POSIX, pair[1]);
        readers.add(reader);
        onLoop(() -> {
            inboxes.open(slot, pid, pair[0]);
            return null;
        });
        return reader;
    }

    private static ChannelFrame read(Channel reader) {
        return SiblingInboxesTest.read(reader);
    }

    /** Nothing arrives within the socket's timeout: neither data nor FIN nor reset. */
    private static boolean seesNothing(Socket socket) throws Exception {
        try {
            socket.getInputStream().read();
            return false;
        } catch (SocketTimeoutException nothing) {
            return true;
        }
    }

    @Test
    void aConnectionMovesThroughTheInboxAndTheClientSeesNothing() throws Exception {
        Channel inbox = sibling(1, 4242);
        Handovers handovers = new Handovers(POSIX, loop, inboxes, OWN_PID, OWN_SLOT);
        io.netty.channel.Channel connection = connect();
        assertThat(onLoop(handovers::available)).isFalse();
        onLoop(() -> {
            handovers.retire(List.of(new Successor(1, 4242)));
            return null;
        });
        assertThat(onLoop(handovers::available)).isTrue();
        MovedConnection state = new MovedConnection("test/1", "half".getBytes(StandardCharsets.US_ASCII), new byte[] {9});
        assertThat(onLoop(() -> handovers.moveAway(connection, state))).isTrue();
        assertThat(connection.closeFuture().await(5, TimeUnit.SECONDS)).isTrue();

        ChannelFrame frame = read(inbox);
        assertThat(frame.command()).isEqualTo(Command.HANDOVER);
        assertThat(frame.pid()).isEqualTo(OWN_PID);
        assertThat(frame.slot()).isEqualTo(OWN_SLOT);
        assertThat(ConnectionRecord.decode(frame.payload())).isEqualTo(state);
        // Closed here, yet no FIN reached the client: the socket lives on in the received descriptor.
        assertThat(seesNothing(client)).isTrue();
        ByteBuffer hello = ByteBuffer.allocateDirect(16).put("from the new owner".getBytes(StandardCharsets.US_ASCII), 0, 16).flip();
        assertThat(POSIX.write(frame.fd(), hello)).isEqualTo(16);
        assertThat(new String(client.getInputStream().readNBytes(16), StandardCharsets.US_ASCII)).isEqualTo("from the new own");
        POSIX.close(frame.fd());
        client.setSoTimeout(5000);
        assertThat(client.getInputStream().read()).as("the last copy closed: FIN").isEqualTo(-1);
    }

    @Test
    void connectionsAreSpreadEvenlyOverTheSuccessors() throws Exception {
        Channel first = sibling(1, 4242);
        Channel second = sibling(2, 4343);
        Handovers handovers = new Handovers(POSIX, loop, inboxes, OWN_PID, OWN_SLOT);
        onLoop(() -> {
            handovers.retire(List.of(new Successor(1, 4242), new Successor(2, 4343)));
            return null;
        });
        MovedConnection state = new MovedConnection("test/1", new byte[0], new byte[0]);
        for (int i = 0; i < 4; i++) {
            io.netty.channel.Channel connection = connect();
            assertThat(onLoop(() -> handovers.moveAway(connection, state))).isTrue();
        }
        for (Channel inbox : List.of(first, second)) {
            for (int i = 0; i < 2; i++) {
                POSIX.close(read(inbox).fd());
            }
            assertThat(inbox.receive().wouldBlock()).as("two each, no more").isTrue();
        }
    }

    @Test
    void withoutASuccessorNothingMoves() throws Exception {
        sibling(1, 4242);
        Handovers handovers = new Handovers(POSIX, loop, inboxes, OWN_PID, OWN_SLOT);
        io.netty.channel.Channel connection = connect();
        MovedConnection state = new MovedConnection("test/1", new byte[0], new byte[0]);
        assertThat(onLoop(() -> handovers.moveAway(connection, state))).isFalse();
        // A successor whose pid no longer matches the inbox held in its slot (respawned) is no successor either.
        onLoop(() -> {
            handovers.retire(List.of(new Successor(1, 9999)));
            return null;
        });
        assertThat(onLoop(handovers::available)).isFalse();
        assertThat(onLoop(() -> handovers.moveAway(connection, state))).isFalse();
        assertThat(connection.isActive()).isTrue();
        assertThat(seesNothing(client)).isTrue();
        connection.close().sync();
    }

    @Test
    void anAdoptedConnectionGetsItsUnreadBytesFirstThenTheSockets() throws Exception {
        Handovers handovers = new Handovers(POSIX, loop, inboxes, OWN_PID, OWN_SLOT);
        BlockingQueue<String> seen = new ArrayBlockingQueue<>(8);
        handovers.onAdopt((channel, moved) -> {
            seen.add("adopt " + moved.protocol() + " registered=" + channel.isRegistered() + " autoRead=" + channel.config().isAutoRead());
            channel.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    ByteBuf bytes = (ByteBuf) msg;
                    seen.add(bytes.toString(StandardCharsets.US_ASCII));
                    bytes.release();
                }
            });
            return true;
        });
        io.netty.channel.Channel original = connect();
        int fd = POSIX.dup(((io.netty.channel.unix.UnixChannel) original).fd().intValue());
        onLoop(() -> {
            original.close(); // the sender's copy gone, as after a move
            handovers.adopt(ChannelFrame.handover(4242, 1, fd, ConnectionRecord.encode(
                    new MovedConnection("test/1", "first ".getBytes(StandardCharsets.US_ASCII), new byte[0]))));
            return null;
        });
        assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("adopt test/1 registered=true autoRead=false");
        assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("first ");
        client.getOutputStream().write("then the socket".getBytes(StandardCharsets.US_ASCII));
        assertThat(seen.poll(5, TimeUnit.SECONDS)).isEqualTo("then the socket");
    }
}
