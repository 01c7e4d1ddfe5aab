package io.masterwork.worker;

import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelException;
import io.masterwork.channel.Received;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.unix.FileDescriptor;

import java.util.function.Consumer;

/**
 * A socketpair end (the command channel or the inbox) watched by the worker's own epoll event loop
 * through Netty's {@code IoHandle} API — nginx's {@code ngx_add_channel_event}: no extra thread. On
 * readiness every waiting frame is read (level-triggered EPOLLIN, so none is left behind) and handed
 * to the consumer; end of file is handed over once, after which the watch is cancelled.
 */
final class ChannelWatch implements EpollIoHandle {
    private final Channel channel;
    private final FileDescriptor fd;
    private final Consumer<Received> consumer;
    private IoRegistration registration;

    ChannelWatch(Channel channel, Consumer<Received> consumer) {
        this.channel = channel;
        // Only a number for Netty's epoll_ctl; the Channel owns and closes the descriptor.
        this.fd = new FileDescriptor(channel.fd());
        this.consumer = consumer;
    }

    @Override
    public FileDescriptor fd() {
        return fd;
    }

    void registered(IoRegistration registration) {
        this.registration = registration;
    }

    /** Asks the event loop for this descriptor's readiness from now on (the first time adds it to the epoll set). */
    void watchReadable() {
        registration.submit(EpollIoOps.EPOLLIN);
    }

    @Override
    public void handle(IoRegistration registration, IoEvent event) {
        // Bounded per wake-up so a flood on one descriptor cannot starve the connections.
        for (int i = 0; i < 64; i++) {
            Received received;
            try {
                received = channel.receive();
            } catch (ChannelException e) {
                // ECONNRESET and the like: the peer is as gone as after an orderly EOF.
                received = Received.EOF;
            }
            if (received.wouldBlock()) {
                return;
            }
            if (received.isEof()) {
                cancel();
                consumer.accept(received);
                return;
            }
            consumer.accept(received);
        }
    }

    void cancel() {
        if (registration != null && registration.isValid()) {
            registration.cancel();
        }
    }

    @Override
    public void close() {
        cancel();
    }
}
