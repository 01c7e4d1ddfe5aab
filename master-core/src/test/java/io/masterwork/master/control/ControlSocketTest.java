package io.masterwork.master.control;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;
import io.masterwork.master.config.ConfigLoader;
import io.masterwork.master.config.ConfigurationException;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.master.process.MasterControl;
import io.masterwork.master.process.WorkerSlot;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The control socket in this JVM with real Unix sockets and a stand-in master: the test thread plays the
 * master loop (poll the extension's descriptors, call readable and the timer), clients are JDK channels.
 */
class ControlSocketTest {
    private static final Duration BOUND = Duration.ofSeconds(10);
    private final Posix posix = NativePosix.get();
    private final StandInMaster master = new StandInMaster();
    private final List<ControlSocket> sockets = new ArrayList<>();
    private final List<SocketChannel> clients = new ArrayList<>();

    @TempDir
    Path prefix;

    @AfterEach
    void closeEverything() throws IOException {
        for (SocketChannel c : clients) {
            c.close();
        }
        for (ControlSocket s : sockets) {
            s.stopped(master);
        }
    }

    private MasterConfiguration config(String extra) throws IOException {
        Files.createDirectories(prefix.resolve("conf"));
        Files.writeString(prefix.resolve("conf/masterwork.conf"), "listen = \"127.0.0.1:1\"\n" + extra + "\n");
        return ConfigLoader.load(Path.of("conf/masterwork.conf"), prefix);
    }

    private ControlSocket start(ControlSocketLimits limits) throws IOException {
        ControlSocket socket = new ControlSocket(posix, config(""), limits, new MasterReports());
        sockets.add(socket);
        socket.started(master);
        return socket;
    }

    private Path socketPath() {
        return prefix.resolve("logs/masterwork.sock");
    }

    private SocketChannel connect() throws IOException {
        SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
        c.connect(UnixDomainSocketAddress.of(socketPath()));
        c.configureBlocking(false);
        clients.add(c);
        return c;
    }

    /** One turn of the master's loop, as MasterProcessCycle makes it. */
    private void turn(ControlSocket socket) {
        for (int fd : posix.pollReadable(socket.descriptors(), 20)) {
            socket.readable(fd, master);
        }
        long due = socket.nextTimerNanos();
        if (due != Long.MAX_VALUE && System.nanoTime() - due >= 0) {
            socket.timer(master);
        }
    }

    private static void send(SocketChannel c, String text) throws IOException {
        ByteBuffer b = ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
        while (b.hasRemaining()) {
            c.write(b);
        }
    }

    /** Runs the loop until the client has a whole answer (up to the empty line); null at EOF without one. */
    private final java.util.Map<SocketChannel, StringBuilder> received = new java.util.HashMap<>();

    private String answer(ControlSocket socket, SocketChannel c) throws IOException {
        StringBuilder got = received.computeIfAbsent(c, k -> new StringBuilder());
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (System.nanoTime() < deadline) {
            int end = got.indexOf("\n\n");
            if (end >= 0) {
                String a = got.substring(0, end);
                got.delete(0, end + 2);
                return a;
            }
            turn(socket);
            ByteBuffer b = ByteBuffer.allocate(65536);
            int n = c.read(b);
            if (n < 0) {
                return null;
            }
            got.append(new String(b.array(), 0, b.position(), StandardCharsets.UTF_8));
        }
        throw new AssertionError("no answer within " + BOUND + "; got so far: " + got);
    }

    /** Runs the loop until the master closes this client; fails if it does not within the bound. */
    private void awaitClosedByMaster(ControlSocket socket, SocketChannel c) throws IOException {
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (System.nanoTime() < deadline) {
            turn(socket);
            ByteBuffer b = ByteBuffer.allocate(65536);
            try {
                if (c.read(b) < 0) {
                    return;
                }
            } catch (IOException e) {
                return; // ECONNRESET: closed with unread input, also closed
            }
        }
        throw new AssertionError("the master did not close the client within " + BOUND);
    }

    private static Config json(String text) {
        return ConfigFactory.parseString(text, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
    }

    @Test
    void statusIsJsonAboutTheMasterAndMetricsParseAsPrometheusText() throws IOException {
        ControlSocket socket = start(ControlSocketLimits.DEFAULTS);
        SocketChannel c = connect();
        send(c, "status\n");
        Config status = json(answer(socket, c));
        assertThat(status.getInt("pid")).isEqualTo(4242);
        assertThat(status.getLong("generation")).isEqualTo(7);
        assertThat(status.getStringList("listeners")).containsExactly("127.0.0.1:8080", "[::1]:8443");
        assertThat(status.getString("last_reload")).isEqualTo("none");
        assertThat(status.getDouble("uptime_seconds")).isGreaterThanOrEqualTo(60.0);
        assertThat(status.getConfigList("workers")).isEmpty();

        send(c, "metrics\n");
        var metrics = PrometheusText.parse(answer(socket, c) + "\n");
        assertThat(metrics).containsEntry("masterwork_generation", 7.0)
                .containsEntry("masterwork_reloads_total", 3.0)
                .containsEntry("masterwork_reloads_failed_total", 1.0)
                .containsEntry("masterwork_control_clients", 1.0)
                .containsKey("masterwork_info{pid=\"4242\",version=\"" + io.masterwork.master.Version.get() + "\"}")
                .containsKey("masterwork_workers{state=\"ready\"}");
    }

    @Test
    void theSocketFileIsTheMastersOnlyAndGoesAwayWithIt() throws IOException {
        ControlSocket socket = start(ControlSocketLimits.DEFAULTS);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(socketPath()))).isEqualTo("rw-------");
        socket.stopped(master);
        sockets.remove(socket);
        assertThat(socketPath()).doesNotExist();
    }

    @Test
    void reloadAnswersOnlyWhenTheMasterKnowsTheOutcomeAndLaterCommandsWaitTheirTurn() throws IOException {
        ControlSocket socket = start(ControlSocketLimits.DEFAULTS);
        SocketChannel c = connect();
        send(c, "reload\nstatus\n");
        for (int i = 0; i < 20; i++) {
            turn(socket);
        }
        assertThat(master.reloadRequests).hasSize(1);
        ByteBuffer nothing = ByteBuffer.allocate(16);
        assertThat(c.read(nothing)).as("no answer while the reload runs").isZero();

        master.reloadRequests.get(0).accept(new MasterControl.ReloadOutcome(true, 8, "generation 8 serving"));
        Config outcome = json(answer(socket, c));
        assertThat(outcome.getBoolean("ok")).isTrue();
        assertThat(outcome.getLong("generation")).isEqualTo(8);
        assertThat(json(answer(socket, c)).getInt("pid")).as("the status asked after it").isEqualTo(4242);
    }

    @Test
    void aReloadRefusedAtOnceIsAnsweredAndTheConnectionGoesOn() throws IOException {
        ControlSocket socket = start(ControlSocketLimits.DEFAULTS);
        master.refuseReloadsWith = "/x/conf/masterwork.conf:2: worker_procesess: unknown key";
        SocketChannel c = connect();
        send(c, "reload\nstatus\n");
        Config outcome = json(answer(socket, c));
        assertThat(outcome.getBoolean("ok")).isFalse();
        assertThat(outcome.getString("message")).contains("masterwork.conf:2");
        assertThat(json(answer(socket, c)).getInt("pid")).isEqualTo(4242);
    }

    @Test
    void aClientThatLeavesDuringItsReloadIsForgotten() throws IOException {
        ControlSocket socket = start(ControlSocketLimits.DEFAULTS);
        SocketChannel c = connect();
        send(c, "reload\n");
        for (int i = 0; i < 10 && master.reloadRequests.isEmpty(); i++) {
            turn(socket);
        }
        c.close();
        master.reloadRequests.get(0).accept(new MasterControl.ReloadOutcome(true, 8, "done"));
        turn(socket);
        SocketChannel next = connect();
        send(next, "status\n");
        assertThat(answer(socket, next)).startsWith("{");
    }

    @Test
    void garbageGetsAnErrorLineAndTheConnectionStaysUsable() throws IOException {
        ControlSocket socket = start(ControlSocketLimits.DEFAULTS);
        SocketChannel c = connect();
        send(c, "\u0001\u0002garbage\u00ff\n\nstatus\n");
        assertThat(answer(socket, c)).startsWith("error: unknown command \"\\x01\\x02garbage\\xff\"");
        assertThat(answer(socket, c)).startsWith("{\"pid\":4242");
    }

    @Test
    void anOversizedLineIsRefusedAndClosed() throws IOException {
        ControlSocket socket = start(ControlSocketLimits.DEFAULTS);
        SocketChannel c = connect();
        send(c, "s".repeat(ControlProtocol.MAX_LINE_BYTES + 10));
        assertThat(answer(socket, c)).isEqualTo("error: command line longer than 4096 bytes");
        awaitClosedByMaster(socket, c);
        assertThat(socket.clientCount()).isZero();

        SocketChannel exact = connect();
        send(exact, " ".repeat(ControlProtocol.MAX_LINE_BYTES - 6) + "status\n");
        assertThat(answer(socket, exact)).as("a line of exactly the maximum is fine").startsWith("{");
    }

    @Test
    void aStalledClientIsClosedAfterTheReadTimeout() throws IOException {
        ControlSocketLimits quick = new ControlSocketLimits(0600, 16, 4096, Duration.ofMillis(300),
                Duration.ofSeconds(10), 1 << 20);
        ControlSocket socket = start(quick);
        SocketChannel stalled = connect();
        send(stalled, "sta");
        SocketChannel idle = connect();
        long before = System.nanoTime();
        assertThat(answer(socket, stalled)).isEqualTo("error: timed out: no complete command within 0 s");
        awaitClosedByMaster(socket, stalled);
        awaitClosedByMaster(socket, idle);
        assertThat(System.nanoTime() - before).isGreaterThanOrEqualTo(Duration.ofMillis(300).toNanos());
    }

    @Test
    void clientsBeyondTheLimitAreRefusedWithAReason() throws IOException {
        ControlSocketLimits two = new ControlSocketLimits(0600, 2, 4096, Duration.ofSeconds(10),
                Duration.ofSeconds(10), 1 << 20);
        ControlSocket socket = start(two);
        SocketChannel a = connect();
        SocketChannel b = connect();
        SocketChannel third = connect();
        assertThat(answer(socket, third)).isEqualTo("error: too many control clients (at most 2 at once); try again later");
        awaitClosedByMaster(socket, third);
        send(a, "status\n");
        send(b, "status\n");
        assertThat(answer(socket, a)).startsWith("{");
        assertThat(answer(socket, b)).startsWith("{");
    }

    @Test
    void aClientThatAsksWithoutReadingIsDroppedInsteadOfFillingTheMaster() throws IOException {
        ControlSocketLimits small = new ControlSocketLimits(0600, 16, 4096, Duration.ofSeconds(10),
                Duration.ofSeconds(10), 16 * 1024);
        ControlSocket socket = start(small);
        SocketChannel flood = connect();
        String burst = "status\n".repeat(500);
        long deadline = System.nanoTime() + BOUND.toNanos();
        boolean dropped = false;
        while (!dropped && System.nanoTime() < deadline) {
            try {
                ByteBuffer b = ByteBuffer.wrap(burst.getBytes(StandardCharsets.US_ASCII));
                flood.write(b);
            } catch (IOException e) {
                dropped = true;
            }
            turn(socket);
            dropped |= socket.clientCount() == 0;
        }
        assertThat(dropped).isTrue();
        SocketChannel polite = connect();
        send(polite, "status\n");
        assertThat(answer(socket, polite)).startsWith("{");
    }

    @Test
    void quitAndStopAreAnsweredThenDone() throws IOException {
        ControlSocket socket = start(ControlSocketLimits.DEFAULTS);
        SocketChannel c = connect();
        send(c, "reopen\nquit\nstop\n");
        assertThat(answer(socket, c)).isEqualTo("ok: logs reopened");
        assertThat(answer(socket, c)).isEqualTo("ok: shutting down gracefully");
        assertThat(answer(socket, c)).isEqualTo("ok: shutting down");
        assertThat(master.calls).containsExactly("reopen", "quit", "stop");
    }

    @Test
    void workersSetsTheCountOrSaysWhyNot() throws IOException {
        ControlSocket socket = start(ControlSocketLimits.DEFAULTS);
        SocketChannel c = connect();
        send(c, "workers 5\nworkers 0\n");
        assertThat(answer(socket, c)).isEqualTo("ok: 5 workers in generation 7");
        assertThat(answer(socket, c)).isEqualTo("error: the worker count must be between 1 and 1024, got 0");
        assertThat(master.calls).containsExactly("workers 5");
    }

    @Test
    void aClientThatHalfClosesStillGetsItsAnswer() throws IOException {
        ControlSocket socket = start(ControlSocketLimits.DEFAULTS);
        SocketChannel c = connect();
        send(c, "status\n");
        c.shutdownOutput();
        assertThat(answer(socket, c)).startsWith("{");
        awaitClosedByMaster(socket, c);
    }

    @Test
    void aStaleSocketIsReplacedAndALiveOneRefusesTheSecondMaster() throws IOException {
        Files.createDirectories(socketPath().getParent());
        posix.close(posix.listenUnix(socketPath().toString(), 1));
        assertThat(socketPath()).exists();
        ControlSocket first = start(ControlSocketLimits.DEFAULTS);
        SocketChannel c = connect();
        send(c, "status\n");
        assertThat(answer(socket(first), c)).startsWith("{");

        assertThatThrownBy(() -> new ControlSocket(posix, config(""), ControlSocketLimits.DEFAULTS, new MasterReports()))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("control socket " + socketPath() + " is in use");
    }

    private static ControlSocket socket(ControlSocket s) {
        return s;
    }

    @Test
    void aFileThatIsNotASocketIsNeverRemoved() throws IOException {
        Files.createDirectories(socketPath().getParent());
        Files.writeString(socketPath(), "precious");
        assertThatThrownBy(() -> new ControlSocket(posix, config(""), ControlSocketLimits.DEFAULTS, new MasterReports()))
                .hasMessageContaining("exists and is not a socket");
        assertThat(Files.readString(socketPath())).isEqualTo("precious");
    }

    @Test
    void offMeansNoSocketAndAPathTooLongForSunPathIsAConfigurationError() throws IOException {
        ControlSocket off = new ControlSocket(posix, config("control_socket = off"), ControlSocketLimits.DEFAULTS, new MasterReports());
        assertThat(off.descriptors()).isEmpty();
        assertThat(off.path()).isNull();
        assertThat(socketPath()).doesNotExist();
        assertThat(config("control_socket = \"run/m.sock\"").controlSocket()).contains(prefix.resolve("run/m.sock"));
        assertThatThrownBy(() -> config("control_socket = \"" + "d/".repeat(60) + "m.sock\""))
                .isInstanceOf(ConfigurationException.class)
                .hasMessageContaining("masterwork.conf:2").hasMessageContaining("control_socket")
                .hasMessageContaining("at most 107");
    }

    /** A master with a fixed state, recording what it was asked. */
    private static final class StandInMaster implements MasterControl {
        final List<Consumer<ReloadOutcome>> reloadRequests = new ArrayList<>();
        final List<String> calls = new ArrayList<>();
        String refuseReloadsWith;

        @Override
        public void reload(Consumer<ReloadOutcome> done) {
            if (refuseReloadsWith != null) {
                done.accept(new ReloadOutcome(false, 7, refuseReloadsWith));
                return;
            }
            reloadRequests.add(done);
        }

        @Override
        public List<Integer> askWorkersForFigures() {
            return List.of(); // no workers: a metrics answer comes at once
        }

        @Override
        public void setWorkerCount(int n) {
            if (n < 1 || n > 1024) {
                throw new IllegalArgumentException("the worker count must be between 1 and 1024, got " + n);
            }
            calls.add("workers " + n);
        }

        @Override
        public void quit() {
            calls.add("quit");
        }

        @Override
        public void stop() {
            calls.add("stop");
        }

        @Override
        public void reopen() {
            calls.add("reopen");
        }

        @Override
        public int pid() {
            return 4242;
        }

        @Override
        public long generation() {
            return 7;
        }

        @Override
        public List<InetSocketAddress> listeners() {
            return List.of(new InetSocketAddress("127.0.0.1", 8080), new InetSocketAddress("::1", 8443));
        }

        @Override
        public List<WorkerSlot> workers() {
            return List.of();
        }

        @Override
        public int desiredWorkers() {
            return 2;
        }

        @Override
        public boolean reloading() {
            return false;
        }

        @Override
        public boolean stopping() {
            return false;
        }

        @Override
        public long startedAtMillis() {
            return System.currentTimeMillis() - 61_000;
        }

        @Override
        public long reloads() {
            return 3;
        }

        @Override
        public long failedReloads() {
            return 1;
        }

        @Override
        public String lastReloadResult() {
            return "none";
        }
    }
}
