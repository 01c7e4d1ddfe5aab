package io.masterwork.worker;

import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import io.masterwork.api.Listener;
import io.masterwork.api.WorkerApplication;
import io.masterwork.api.WorkerIdentity;
import io.masterwork.channel.Channel;
import io.masterwork.channel.ChannelFrame;
import io.masterwork.channel.FrameException;
import io.masterwork.channel.Promotion;
import io.masterwork.channel.Received;
import io.masterwork.channel.SpawnContract;
import io.masterwork.posix.Posix;
import io.masterwork.posix.SocketType;
import io.netty.channel.IoEventLoop;
import io.netty.channel.ServerChannel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * What a spare does once, before it says it is ready, so that its promotion runs code that has already run: a JVM
 * pays for a class the first time it loads, links and initialises it, and a cold promotion spent ~45 ms there (the
 * application's start, Netty's server channel, the HTTP pipeline of the first request).
 *
 * <p>The built-in HTTP application is started once against a rehearsal listener — a fresh socket on an ephemeral
 * loopback port that nobody else knows, never the master's listeners — with its access log written to /dev/null and
 * sibling messages of its own; this spare sends it requests over loopback, then closes that listener, its connections
 * and the rehearsal application. The promotion-only steps (a PROMOTE frame received and decoded, reading the
 * configuration descriptor, setting the affinity of every thread) run once on this spare's own values. A downstream
 * application (modules.worker) is not rehearsed: it is started exactly once, at promotion, as its author expects.
 */
final class SpareRehearsal {
    private static final Logger log = LoggerFactory.getLogger(SpareRehearsal.class);
    private static final long BOUND_SECONDS = 10;
    private static final int REQUESTS = 500;
    private static final int CONNECTIONS = 20;
    private static final String DISCARDED_ACCESS_LOG = "/dev/null";

    private final Posix posix;
    private final IoEventLoop loop;
    private final WorkerConfiguration config;
    private final WorkerIdentity identity;

    SpareRehearsal(Posix posix, IoEventLoop loop, WorkerConfiguration config, WorkerIdentity identity) {
        this.posix = posix;
        this.loop = loop;
        this.config = config;
        this.identity = identity;
    }

    /** Runs on the worker's main thread; never fails the spare (a cold promotion is slower, not wrong). */
    void run() {
        try {
            WorkerConfiguration.readDescriptor(SpawnContract.CONFIG_FD);
            rehearsePromoteFrame();
            posix.setAffinityOfAllThreads(0, posix.getAffinity(0));
            if (config.workerModules().isEmpty()) {
                rehearseApplication();
            }
        } catch (Exception | LinkageError e) {
            log.warn("spare rehearsal skipped: {}", e.toString());
        }
    }

    private void rehearseApplication() throws Exception {
        // The access log goes to /dev/null, not off: with it on (the default) a promotion opened it and its first
        // requests formatted their lines with code that had never run, 10-13 ms more from kill -9 to serving
        // (medians, docs/BENCHMARKS.md).
        WorkerConfiguration quiet = WorkerConfiguration.parse(config.config()
                .withValue("http.access_log", ConfigValueFactory.fromAnyRef(DISCARDED_ACCESS_LOG))
                .root().render(ConfigRenderOptions.concise()), "spare rehearsal configuration");
        int fd = posix.listenTcp(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 8);
        InheritedListener listener;
        try {
            posix.setNonBlocking(fd, true);
            listener = new InheritedListener(posix, 0, fd, posix.localAddress(fd), loop);
        } catch (RuntimeException e) {
            posix.closeQuietly(fd);
            throw e;
        }
        SiblingInboxes siblings = new SiblingInboxes(posix, loop, identity.pid(), identity.slot());
        WorkerContext context = new WorkerContext(identity, List.<Listener>of(listener), quiet, loop, siblings);
        CompletableFuture<WorkerApplication> started = new CompletableFuture<>();
        loop.execute(() -> {
            try {
                WorkerApplication application = ApplicationLoader.load(quiet, context, posix);
                application.start(context).whenComplete((ok, failure) -> {
                    if (failure != null) {
                        started.completeExceptionally(failure);
                    } else {
                        started.complete(application);
                    }
                });
            } catch (Throwable e) {
                started.completeExceptionally(e);
            }
        });
        WorkerApplication application = null;
        try {
            application = started.get(BOUND_SECONDS, TimeUnit.SECONDS);
            int port = listener.address().getPort();
            // Enough requests for C1 to compile the request path (the worker runs C1 only), on one connection and
            // then on fresh ones, as clients arrive after a promotion.
            StringBuilder keepAlive = new StringBuilder();
            for (int i = 0; i < REQUESTS; i++) {
                keepAlive.append(i % 2 == 0 ? "GET /_worker HTTP/1.1\r\nHost: spare\r\n\r\n" : "GET / HTTP/1.1\r\nHost: spare\r\n\r\n");
            }
            exchange(port, keepAlive + "GET / HTTP/1.1\r\nHost: spare\r\nConnection: close\r\n\r\n");
            for (int i = 0; i < CONNECTIONS; i++) {
                exchange(port, "GET /_worker HTTP/1.1\r\nHost: spare\r\nConnection: close\r\n\r\n");
            }
        } finally {
            WorkerApplication rehearsed = application;
            CompletableFuture<Void> closed = new CompletableFuture<>();
            loop.execute(() -> {
                try {
                    ServerChannel channel = listener.channel();
                    if (channel != null) {
                        channel.close();
                    } else {
                        listener.closeUnserved();
                    }
                    if (rehearsed != null) {
                        rehearsed.stopAccepting();
                        rehearsed.closeAll();
                    }
                    siblings.closeAll();
                } finally {
                    closed.complete(null);
                }
            });
            closed.get(BOUND_SECONDS, TimeUnit.SECONDS);
        }
    }

    /**
     * PROMOTE as the promotion reads it, on this spare's own values: a frame carrying a configuration memfd, sent over
     * a socketpair of its own and taken apart by the same code (the channel's descriptor passing, the payload's
     * decoding, dup2, the descriptor's bytes). Cold, these took ~1.5 ms of a promotion (measured on a loaded machine).
     */
    private void rehearsePromoteFrame() throws FrameException {
        byte[] bytes = WorkerConfiguration.readDescriptorBytes(SpawnContract.CONFIG_FD);
        int[] pair = posix.socketpair(SocketType.SEQPACKET);
        Channel sending = new Channel(posix, pair[0]); // each Channel owns its end, and closes it when it cannot set it up
        Channel receiving;
        try {
            receiving = new Channel(posix, pair[1]);
        } catch (RuntimeException e) {
            sending.close();
            throw e;
        }
        int sent = -1;
        int received = -1;
        try {
            sent = posix.memfd("masterwork-config", bytes);
            sending.send(ChannelFrame.promote(identity.masterPid(), identity.slot(), sent,
                    new Promotion(identity.generation(), posix.getAffinity(0))));
            Received frame = receiving.receive();
            if (!frame.isFrame()) {
                throw new IllegalStateException("the rehearsed PROMOTE did not arrive: " + frame);
            }
            received = frame.frame().fd();
            Promotion.of(frame.frame());
            // Both descriptors are this rehearsal's own copies of one memfd: dup2 replaces one copy by the other.
            posix.dup2(received, sent);
            if (!WorkerConfiguration.holdsExactly(posix, sent, bytes)) {
                throw new IllegalStateException("the rehearsed PROMOTE carried other bytes than were sent");
            }
        } finally {
            for (int fd : new int[] {sent, received}) {
                if (fd >= 0) {
                    posix.closeQuietly(fd);
                }
            }
            sending.close();
            receiving.close();
        }
    }

    /** Writes the requests, reads until the server closes (the last request asks it to). */
    private static void exchange(int port, String requests) throws IOException {
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5000);
            socket.setSoTimeout(5000);
            OutputStream out = socket.getOutputStream();
            out.write(requests.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            byte[] buffer = new byte[4096];
            while (in.read(buffer) >= 0) {
                // the answers themselves do not matter, only that the code that writes them has run
            }
        }
    }
}
