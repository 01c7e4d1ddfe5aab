package io.masterwork.master.status;

import io.masterwork.master.config.Htpasswd;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.master.control.MasterReports;
import io.masterwork.master.loop.LoopServer;
import io.masterwork.master.process.MasterControl;
import io.masterwork.master.process.MasterExtension;
import io.masterwork.master.process.UpgradeHandover;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import jakarta.inject.Inject;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master's status page and Prometheus endpoint over HTTP ({@code status_listen}): {@code GET /metrics}, {@code
 * GET /status} (the control socket's {@code status} JSON, with the workers' figures) and {@code GET /}, a page that
 * polls {@code /status} and draws itself. Like the control socket it lives in the master's loop: the listener and
 * every client are polled descriptors, reads and writes never block, timers close clients that stall, and an answer
 * that needs the workers' figures is deferred until they come (or their short deadline passes), never waited for.
 *
 * <p>One request per connection ({@code Connection: close}): the page polls every two seconds, which costs an accept
 * and a close, and a client cannot hold a connection past its answer. Every answer is written whole from memory.
 */
public final class StatusServer implements MasterExtension {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");
    private static final int BACKLOG = 64;
    static final String PAGE_RESOURCE = "io/masterwork/master/status/page.html";
    /** The name the listening socket goes by in a binary upgrade's hand-over. */
    static final String UPGRADE_NAME = "status";

    private final Posix posix;
    private final StatusLimits limits;
    private final MasterReports reports;
    private final LoopServer<StatusConnection> server;
    private final InetSocketAddress address;
    private final BasicAuth auth;
    private final byte[] page;
    private MasterControl master;

    @Inject
    public StatusServer(Posix posix, MasterConfiguration config, StatusLimits limits, MasterReports reports) {
        this.posix = posix;
        this.limits = limits;
        this.reports = reports;
        Optional<InetSocketAddress> configured = config.statusListen();
        if (configured.isEmpty()) {
            int inherited = UpgradeHandover.inheritedSocket(posix, System.getenv(), UPGRADE_NAME);
            if (inherited >= 0) {
                posix.closeQuietly(inherited); // the old master's page; this master's configuration has none
            }
            this.server = new LoopServer<>(posix, -1, "status_listen");
            this.address = null;
            this.auth = null;
            this.page = null;
            return;
        }
        try {
            this.auth = config.statusAuth().map(file -> new BasicAuth(Htpasswd.read(file))).orElse(null);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("status_auth: " + e.getMessage(), e);
        }
        this.page = readPage();
        int listener = open(configured.get());
        this.address = posix.localAddress(listener);
        this.server = new LoopServer<>(posix, listener, "status_listen " + hostPort(address));
        reports.gauge("masterwork_status_clients", "HTTP clients connected to the status page (status_listen).",
                server::clientCount);
    }

    private int open(InetSocketAddress wanted) {
        int inherited = adopt(wanted);
        if (inherited >= 0) {
            return inherited;
        }
        int fd;
        try {
            fd = posix.listenTcp(wanted, BACKLOG);
        } catch (PosixException e) {
            throw new IllegalStateException("cannot listen on status_listen " + wanted + ": " + e.getMessage(), e);
        }
        try {
            posix.setNonBlocking(fd, true);
        } catch (RuntimeException e) {
            posix.closeQuietly(fd);
            throw new IllegalStateException("cannot set up status_listen " + wanted + ": " + e.getMessage(), e);
        }
        return fd;
    }

    /**
     * On a binary upgrade, the old master's socket for this address (it holds the address until it exits, so this
     * master could not bind it): adopted when it is a listening socket bound where {@code status_listen} says,
     * closed otherwise. -1 when there is none to adopt.
     */
    private int adopt(InetSocketAddress wanted) {
        int fd = UpgradeHandover.inheritedSocket(posix, System.getenv(), UPGRADE_NAME);
        if (fd < 0) {
            return -1;
        }
        try {
            InetSocketAddress bound = posix.localAddress(fd);
            boolean same = posix.isListeningSocket(fd) && bound.getAddress().equals(wanted.getAddress())
                    && (wanted.getPort() == 0 || bound.getPort() == wanted.getPort());
            if (same) {
                posix.setCloseOnExec(fd, true);
                posix.setNonBlocking(fd, true);
                log.info("status_listen: inherited the socket for {} (fd {}) from the old master", hostPort(bound), fd);
                return fd;
            }
            log.warn("status_listen: the old master's socket is bound to {}, not {}; closed", hostPort(bound),
                    hostPort(wanted));
        } catch (PosixException e) {
            log.error("status_listen: the old master's fd {} is not a socket ({}); ignored", fd, e.getMessage());
            return -1;
        }
        posix.closeQuietly(fd);
        return -1;
    }

    @Override
    public Map<String, Integer> upgradeSockets() {
        return server.listener() >= 0 ? Map.of(UPGRADE_NAME, server.listener()) : Map.of();
    }

    private static byte[] readPage() {
        try (InputStream in = StatusServer.class.getClassLoader().getResourceAsStream(PAGE_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the status page " + PAGE_RESOURCE + " is missing from master-core's jar");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Where the page is served (port 0 resolved), or null when {@code status_listen = off}. */
    public InetSocketAddress address() {
        return address;
    }

    // ---- the master's events -----------------------------------------------------------------------------

    @Override
    public void started(MasterControl control) {
        this.master = control;
        if (server.listener() >= 0) {
            boolean loopback = address.getAddress().isLoopbackAddress();
            log.info("status page on http://{}/ (metrics at /metrics){}", hostPort(address),
                    auth != null ? ", basic authentication from status_auth" : "");
            if (!loopback && auth == null) {
                log.warn("status_listen {} is not a loopback address and status_auth is off: anyone who can reach it "
                        + "reads the process table and the metrics", hostPort(address));
            }
        }
    }

    @Override
    public void stopped(MasterControl control) {
        for (StatusConnection c : server.clients()) {
            server.close(c);
        }
        server.closeListener();
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
        for (StatusConnection c : server.clients()) {
            flush(c);
            if (c.closed()) {
                continue;
            }
            if (c.writeStalled(now, limits.writeTimeout().toNanos())) {
                log.info("{} closed: it did not read its answer within {} s", c, limits.writeTimeout().toSeconds());
                server.close(c);
            } else if (c.readOverdue(now)) {
                respond(c, 408, "Request Timeout", "text/plain; charset=utf-8",
                        text("no complete request head within " + limits.readTimeout().toSeconds() + " s\n"), null);
            }
        }
    }

    // ---- clients -----------------------------------------------------------------------------------------

    /** Every client is admitted: one beyond the limit is answered 503 at once, which ends it. */
    private void admit(int fd) {
        StatusConnection c = new StatusConnection(fd, limits.maxHeadBytes(),
                System.nanoTime() + limits.readTimeout().toNanos());
        server.add(c);
        if (server.clientCount() > limits.maxClients()) {
            respond(c, 503, "Service Unavailable", "text/plain; charset=utf-8",
                    text("too many status clients (at most " + limits.maxClients() + " at once); try again later\n"),
                    null);
        }
    }

    private void receive(StatusConnection c) {
        try {
            if (!server.readAvailable(c)) {
                server.close(c); // the client left before a whole request: nobody to answer
                return;
            }
        } catch (PosixException e) {
            server.close(c);
            return;
        }
        int end = RequestHead.end(c.input().array(), c.input().position());
        if (end < 0) {
            if (!c.input().hasRemaining()) {
                respond(c, 431, "Request Header Fields Too Large", "text/plain; charset=utf-8",
                        text("request head longer than " + limits.maxHeadBytes() + " bytes\n"), null);
            }
            return;
        }
        RequestHead head;
        try {
            head = RequestHead.parse(c.input().array(), end);
        } catch (IllegalArgumentException e) {
            respond(c, 400, "Bad Request", "text/plain; charset=utf-8", text(e.getMessage() + "\n"), null);
            return;
        }
        c.requestRead = true;
        handle(c, head);
    }

    private void handle(StatusConnection c, RequestHead head) {
        if (!head.method().equals("GET")) {
            respond(c, 405, "Method Not Allowed", "text/plain; charset=utf-8", text("only GET\n"), "Allow: GET\r\n");
            return;
        }
        if (auth != null && !auth.allows(head.authorization())) {
            respond(c, 401, "Unauthorized", "text/plain; charset=utf-8", text("authentication required\n"),
                    "WWW-Authenticate: " + BasicAuth.CHALLENGE + "\r\n");
            return;
        }
        switch (head.path()) {
            case "/" -> respond(c, 200, "OK", "text/html; charset=utf-8", page, null);
            case "/status" -> {
                c.awaiting = true;
                reports.collectStatus(master, json -> deferred(c, "application/json", json));
            }
            case "/metrics" -> {
                c.awaiting = true;
                reports.collectMetrics(master, metrics -> deferred(c, MasterReports.METRICS_CONTENT_TYPE, metrics));
            }
            default -> respond(c, 404, "Not Found", "text/plain; charset=utf-8",
                    text("no such page: the status page serves /, /status and /metrics\n"), null);
        }
    }

    private void deferred(StatusConnection c, String type, String body) {
        c.awaiting = false;
        if (!c.closed()) {
            respond(c, 200, "OK", type, text(body), null);
        }
    }

    private void respond(StatusConnection c, int code, String reason, String type, byte[] body, String extraHeaders) {
        String head = "HTTP/1.1 " + code + " " + reason + "\r\n"
                + "Content-Type: " + type + "\r\n"
                + "Content-Length: " + body.length + "\r\n"
                + "Cache-Control: no-store\r\n"
                + "X-Content-Type-Options: nosniff\r\n"
                + "X-Frame-Options: DENY\r\n"
                // The page's script and style are inline; nothing may come from another host.
                + "Content-Security-Policy: default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                + "connect-src 'self'; img-src 'self' data:\r\n"
                + (extraHeaders == null ? "" : extraHeaders)
                + "Connection: close\r\n\r\n";
        byte[] headBytes = head.getBytes(StandardCharsets.ISO_8859_1);
        byte[] answer = new byte[headBytes.length + body.length];
        System.arraycopy(headBytes, 0, answer, 0, headBytes.length);
        System.arraycopy(body, 0, answer, headBytes.length, body.length);
        server.queue(c, answer);
        c.answered = true;
        c.requestRead = true;
        flush(c);
    }

    /** Writes what the socket takes of the answer; the connection ends once the answer is written. */
    private void flush(StatusConnection c) {
        if (c.closed() || !c.answered) {
            return;
        }
        try {
            if (server.flush(c)) {
                server.close(c);
            }
        } catch (PosixException e) {
            server.close(c); // EPIPE, ECONNRESET: the client left before its answer
        }
    }

    private static byte[] text(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String hostPort(InetSocketAddress a) {
        String host = a.getAddress().getHostAddress();
        return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
    }

    /** Connected clients now (for tests). */
    int clientCount() {
        return server.clientCount();
    }
}
