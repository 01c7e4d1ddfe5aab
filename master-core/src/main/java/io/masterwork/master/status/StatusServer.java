package io.masterwork.master.status;

import io.masterwork.master.config.Htpasswd;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.master.control.MasterReports;
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
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
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
    /** Without POLLOUT from the master's poll, a client whose socket was full is retried this often. */
    private static final long FLUSH_RETRY_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
    static final String PAGE_RESOURCE = "io/masterwork/master/status/page.html";
    /** The name the listening socket goes by in a binary upgrade's hand-over. */
    static final String UPGRADE_NAME = "status";

    private final Posix posix;
    private final StatusLimits limits;
    private final MasterReports reports;
    private final int listener;
    private final InetSocketAddress address;
    private final BasicAuth auth;
    private final byte[] page;
    private final Map<Integer, StatusConnection> clients = new LinkedHashMap<>();
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
            this.listener = -1;
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
        this.listener = open(configured.get());
        this.address = posix.localAddress(listener);
        reports.gauge("masterwork_status_clients", "HTTP clients connected to the status page (status_listen).",
                () -> clients.size());
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
        return listener >= 0 ? Map.of(UPGRADE_NAME, listener) : Map.of();
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
        if (listener >= 0) {
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
        for (StatusConnection c : new ArrayList<>(clients.values())) {
            close(c);
        }
        if (listener >= 0) {
            posix.closeQuietly(listener);
        }
    }

    @Override
    public int[] descriptors() {
        if (listener < 0) {
            return new int[0];
        }
        int[] fds = new int[1 + clients.size()];
        int n = 0;
        fds[n++] = listener;
        for (StatusConnection c : clients.values()) {
            if (c.wantsInput()) {
                fds[n++] = c.fd;
            }
        }
        return n == fds.length ? fds : Arrays.copyOf(fds, n);
    }

    @Override
    public void readable(int fd, MasterControl control) {
        this.master = control;
        if (fd == listener) {
            acceptAll();
            return;
        }
        StatusConnection c = clients.get(fd);
        if (c != null) {
            receive(c);
        }
    }

    @Override
    public long nextTimerNanos() {
        long next = Long.MAX_VALUE;
        long now = System.nanoTime();
        for (StatusConnection c : clients.values()) {
            if (c.out != null && c.out.hasRemaining()) {
                next = Math.min(next, now + FLUSH_RETRY_NANOS);
            }
            if (c.wantsInput()) {
                next = Math.min(next, c.readDeadlineNanos);
            }
        }
        return next;
    }

    @Override
    public void timer(MasterControl control) {
        this.master = control;
        long now = System.nanoTime();
        for (StatusConnection c : new ArrayList<>(clients.values())) {
            flush(c);
            if (c.closed) {
                continue;
            }
            if (c.out != null && c.out.hasRemaining() && now - c.blockedSinceNanos >= limits.writeTimeout().toNanos()) {
                log.info("status client {} closed: it did not read its answer within {} s", c.fd,
                        limits.writeTimeout().toSeconds());
                close(c);
            } else if (c.wantsInput() && now - c.readDeadlineNanos >= 0) {
                respond(c, 408, "Request Timeout", "text/plain; charset=utf-8",
                        text("no complete request head within " + limits.readTimeout().toSeconds() + " s\n"), null);
            }
        }
    }

    // ---- clients -----------------------------------------------------------------------------------------

    private void acceptAll() {
        for (;;) {
            int fd;
            try {
                fd = posix.accept(listener);
            } catch (PosixException e) {
                // EMFILE and the like: the pending client stays queued; the next turn tries again.
                log.error("status_listen {}: {}", hostPort(address), e.getMessage());
                return;
            }
            if (fd < 0) {
                return;
            }
            StatusConnection c = new StatusConnection(fd, limits.maxHeadBytes(),
                    System.nanoTime() + limits.readTimeout().toNanos());
            clients.put(fd, c);
            if (clients.size() > limits.maxClients()) {
                respond(c, 503, "Service Unavailable", "text/plain; charset=utf-8",
                        text("too many status clients (at most " + limits.maxClients() + " at once); try again later\n"),
                        null);
            }
        }
    }

    private void receive(StatusConnection c) {
        while (c.in.hasRemaining()) {
            int n;
            try {
                n = posix.read(c.fd, c.in);
            } catch (PosixException e) {
                close(c);
                return;
            }
            if (n < 0) {
                break;
            }
            if (n == 0) {
                close(c); // the client left before a whole request: nobody to answer
                return;
            }
        }
        int end = RequestHead.end(c.in.array(), c.in.position());
        if (end < 0) {
            if (!c.in.hasRemaining()) {
                respond(c, 431, "Request Header Fields Too Large", "text/plain; charset=utf-8",
                        text("request head longer than " + limits.maxHeadBytes() + " bytes\n"), null);
            }
            return;
        }
        RequestHead head;
        try {
            head = RequestHead.parse(c.in.array(), end);
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
        if (!c.closed) {
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
        ByteBuffer out = ByteBuffer.allocate(headBytes.length + body.length).put(headBytes).put(body).flip();
        c.out = out;
        c.requestRead = true;
        flush(c);
    }

    private void flush(StatusConnection c) {
        if (c.closed || c.out == null) {
            return;
        }
        while (c.out.hasRemaining()) {
            int n;
            try {
                n = posix.sendMessage(c.fd, c.out, -1);
            } catch (PosixException e) {
                close(c); // EPIPE, ECONNRESET: the client left before its answer
                return;
            }
            if (n < 0) {
                if (c.blockedSinceNanos == 0) {
                    c.blockedSinceNanos = System.nanoTime();
                }
                return;
            }
        }
        close(c);
    }

    private void close(StatusConnection c) {
        if (c.closed) {
            return;
        }
        c.closed = true;
        clients.remove(c.fd);
        posix.closeQuietly(c.fd);
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
        return clients.size();
    }
}
