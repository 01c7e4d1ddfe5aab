package io.masterwork.master.control;

import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.master.loop.LoopServer;
import io.masterwork.master.process.MasterControl;
import io.masterwork.master.process.MasterExtension;
import io.masterwork.posix.Credentials;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import jakarta.inject.Inject;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's control socket (HAProxy's master CLI, in nginx's spirit): a Unix stream socket on which
 * the master's own user, or root, asks for the process table, metrics, a reload with its outcome, a log
 * reopen or a stop. Runs entirely in the master's loop: the listener and every client are polled
 * descriptors, answers are written without blocking, and the timer closes clients that stall.
 *
 * <p>The socket is created when the master is built (before any worker starts), so that a live socket of
 * another master refuses this one's start-up with a clear message instead of silently stealing the path.
 */
public final class ControlSocket implements MasterExtension {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");
    private static final int BACKLOG = 64;

    private final Posix posix;
    private final ControlSocketLimits limits;
    private final Path path;
    private final LoopServer<ControlConnection> server;
    private final Object fileIdentity;
    private final int masterUid;
    private final MasterReports reports;
    private MasterControl master;

    @Inject
    public ControlSocket(Posix posix, MasterConfiguration config, ControlSocketLimits limits, MasterReports reports) {
        this.posix = posix;
        this.limits = limits;
        this.reports = reports;
        this.masterUid = posix.geteuid();
        Optional<Path> configured = config.controlSocket();
        if (configured.isEmpty()) {
            this.path = null;
            this.server = new LoopServer<>(posix, -1, "control socket");
            this.fileIdentity = null;
        } else {
            this.path = configured.get();
            this.server = new LoopServer<>(posix, open(path), "control socket " + path);
            this.fileIdentity = ControlSocketFile.identity(path);
        }
        reports.gauge("masterwork_control_clients", "Clients connected to the control socket.", server::clientCount);
    }

    private int open(Path socketPath) {
        try {
            Files.createDirectories(socketPath.getParent());
        } catch (IOException e) {
            throw new IllegalStateException("control socket " + socketPath + ": cannot create its directory: " + e, e);
        }
        String removed = ControlSocketFile.clearStale(socketPath);
        if (removed != null) {
            log.warn(removed);
        }
        int fd;
        try {
            // Born with its mode: no window in which the file exists with the umask's wider one. No chmod by
            // path afterwards either (it would follow a link put there by someone who can write the directory).
            // bind(2) applies the umask to that mode: for the moment of the bind, the umask is exactly what
            // leaves the configured mode (0600 unless a module widens it), so the file is born with it.
            int previousUmask = posix.umask(~limits.mode() & 0777);
            try {
                fd = posix.listenUnix(socketPath.toString(), BACKLOG, limits.mode());
            } finally {
                posix.umask(previousUmask);
            }
        } catch (PosixException e) {
            throw new IllegalStateException("cannot listen on the control socket " + socketPath + ": " + e.getMessage(), e);
        }
        try {
            posix.setNonBlocking(fd, true);
        } catch (RuntimeException e) {
            posix.closeQuietly(fd);
            throw new IllegalStateException("cannot set up the control socket " + socketPath + ": " + e.getMessage(), e);
        }
        return fd;
    }

    /** Where the socket is, or null when {@code control_socket = off}. */
    public Path path() {
        return path;
    }

    // ---- the master's events -----------------------------------------------------------------

    @Override
    public void started(MasterControl control) {
        this.master = control;
        if (server.listener() >= 0) {
            log.info("control socket {} (mode {})", path, Integer.toOctalString(limits.mode()));
        }
    }

    @Override
    public void stopped(MasterControl control) {
        for (ControlConnection c : server.clients()) {
            flush(c);
            close(c, null);
        }
        if (server.listener() >= 0) {
            server.closeListener();
            ControlSocketFile.removeIfSame(path, fileIdentity);
        }
    }

    @Override
    public int[] descriptors() {
        return server.descriptors();
    }

    @Override
    public void readable(int fd, MasterControl control) {
        this.master = control;
        server.readable(fd, this::admit, this::receive);
    }

    @Override
    public long nextTimerNanos() {
        return server.nextTimerNanos();
    }

    @Override
    public void timer(MasterControl control) {
        this.master = control;
        long now = System.nanoTime();
        for (ControlConnection c : server.clients()) {
            flush(c);
            if (c.closed()) {
                continue;
            }
            if (c.writeStalled(now, limits.writeTimeout().toNanos())) {
                close(c, "it did not read its answer within " + limits.writeTimeout().toSeconds() + " s");
                continue;
            }
            if (c.readOverdue(now)) {
                log.info("{}: no complete command within {} s; closing", c, limits.readTimeout().toSeconds());
                answer(c, ControlProtocol.error("timed out: no complete command within "
                        + limits.readTimeout().toSeconds() + " s"));
                c.closeWhenFlushed = true;
            }
            settle(c);
        }
    }

    // ---- clients -----------------------------------------------------------------------------

    private void admit(int fd) {
        Credentials peer;
        try {
            peer = posix.peerCredentials(fd);
        } catch (PosixException e) {
            log.warn("control socket {}: {}; connection closed", path, e.getMessage());
            posix.closeQuietly(fd);
            return;
        }
        String refusal = null;
        if (peer.uid() != masterUid && peer.uid() != 0) {
            refusal = "permission denied: uid " + peer.uid() + " is neither the master's uid " + masterUid + " nor root";
        } else if (server.clientCount() >= limits.maxClients()) {
            refusal = "too many control clients (at most " + limits.maxClients() + " at once); try again later";
        }
        if (refusal != null) {
            log.warn("control socket: refused pid {} (uid {}): {}", peer.pid(), peer.uid(), refusal);
            // One best-effort write to a fresh socket: its buffer is empty, so the line fits.
            try {
                posix.sendMessage(fd, ByteBuffer.wrap(ControlProtocol.error(refusal).getBytes(StandardCharsets.UTF_8)), -1);
            } catch (PosixException e) {
                log.debug("control socket: refusal not delivered: {}", e.getMessage());
            }
            posix.closeQuietly(fd);
            return;
        }
        ControlConnection c = new ControlConnection(fd, peer, limits.maxLineBytes(),
                System.nanoTime() + limits.readTimeout().toNanos());
        server.add(c);
        log.debug("{} connected", c);
    }

    private void receive(ControlConnection c) {
        try {
            if (!server.readAvailable(c)) {
                c.inputClosed = true;
            }
        } catch (PosixException e) {
            close(c, e.getMessage());
            return;
        }
        process(c);
        settle(c);
    }

    /** Handles every complete line in order; stops while a reload of this client runs. */
    private void process(ControlConnection c) {
        c.processing = true;
        try {
            processLines(c);
        } finally {
            c.processing = false;
        }
    }

    private void processLines(ControlConnection c) {
        while (!c.closed() && !c.awaitingAnswer && !c.closeWhenFlushed) {
            byte[] line = c.nextLine();
            if (line == null) {
                if (c.lineTooLong()) {
                    log.warn("{}: command line longer than {} bytes; closing", c, limits.maxLineBytes());
                    answer(c, ControlProtocol.error("command line longer than " + limits.maxLineBytes() + " bytes"));
                    c.closeWhenFlushed = true;
                }
                return;
            }
            c.readDeadlineNanos(System.nanoTime() + limits.readTimeout().toNanos());
            ControlProtocol.Request request = ControlProtocol.parse(line);
            if (request.isEmpty()) {
                continue;
            }
            if (request.error() != null) {
                answer(c, ControlProtocol.error(request.error()));
                continue;
            }
            execute(c, request.command(), request.argument());
        }
    }

    private void execute(ControlConnection c, ControlProtocol.Command command, int argument) {
        if (command != ControlProtocol.Command.STATUS && command != ControlProtocol.Command.METRICS) {
            log.info("control socket: \"{}\" from pid {} (uid {})",
                    command == ControlProtocol.Command.WORKERS ? "workers " + argument : command.word(), c.peer.pid(), c.peer.uid());
        }
        switch (command) {
            case STATUS -> answer(c, ControlProtocol.data(reports.statusJson(master)));
            case METRICS -> {
                // The workers' figures come later (or their deadline does): the answer waits, the loop does not.
                c.awaitingAnswer = true;
                reports.collectMetrics(master, text -> deferredAnswer(c, ControlProtocol.data(text)));
            }
            case RELOAD -> {
                c.awaitingAnswer = true;
                master.reload(outcome -> deferredAnswer(c, ControlProtocol.data(reloadAnswer(outcome))));
            }
            case REOPEN -> {
                master.reopen();
                answer(c, ControlProtocol.ok("logs reopened"));
            }
            case QUIT -> {
                answer(c, ControlProtocol.ok("shutting down gracefully"));
                master.quit();
            }
            case STOP -> {
                answer(c, ControlProtocol.ok("shutting down"));
                master.stop();
            }
            case WORKERS -> {
                if (master.stopping()) {
                    answer(c, ControlProtocol.error("the master is shutting down"));
                    return;
                }
                try {
                    master.setWorkerCount(argument);
                } catch (IllegalArgumentException e) {
                    answer(c, ControlProtocol.error(e.getMessage()));
                    return;
                }
                answer(c, ControlProtocol.ok(argument + " workers in generation " + master.generation()));
            }
        }
    }

    /**
     * An answer that had to wait (a reload's outcome, the workers' figures); may come in the same turn or many
     * seconds later. Later commands of the client waited their turn behind it.
     */
    private void deferredAnswer(ControlConnection c, String text) {
        boolean wasWaiting = c.awaitingAnswer;
        c.awaitingAnswer = false;
        if (c.closed()) {
            return;
        }
        answer(c, text);
        c.readDeadlineNanos(System.nanoTime() + limits.readTimeout().toNanos());
        // A reload refused at once calls back inside process(), which then goes on by itself.
        if (wasWaiting && !c.processing) {
            process(c);
            settle(c);
        }
    }

    static String reloadAnswer(MasterControl.ReloadOutcome outcome) {
        return new Json().beginObject()
                .name("ok").bool(outcome.ok())
                .name("generation").number(outcome.generation())
                .name("message").string(outcome.message())
                .endObject().toString();
    }

    /** Queues an answer and writes what the socket takes now. */
    private void answer(ControlConnection c, String text) {
        if (c.closed()) {
            return;
        }
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        if (c.queuedBytes() + bytes.length > limits.maxQueuedBytes()) {
            close(c, "more than " + limits.maxQueuedBytes() + " bytes of answers wait unread");
            return;
        }
        server.queue(c, bytes);
        flush(c);
    }

    private void flush(ControlConnection c) {
        try {
            server.flush(c);
        } catch (PosixException e) {
            // EPIPE, ECONNRESET: the client left before its answer; nothing to tell it.
            close(c, e.getMessage());
        }
    }

    /** Closes a client that has nothing more to receive or send. */
    private void settle(ControlConnection c) {
        if (c.closed() || c.hasOutput() || c.awaitingAnswer) {
            return;
        }
        if (c.closeWhenFlushed || c.inputClosed) {
            close(c, null);
        }
    }

    private void close(ControlConnection c, String why) {
        if (!server.close(c)) {
            return;
        }
        if (why != null) {
            log.info("{} closed: {}", c, why);
        } else {
            log.debug("{} closed", c);
        }
    }

    /** Connected clients now (for tests and metrics). */
    int clientCount() {
        return server.clientCount();
    }
}
