package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.masterwork.master.control.ControlClient;
import io.masterwork.testkit.Http;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Issue 15, "Malformed input wherever it can enter", through a real master: hostile HTTP clients (oversized
 * request line and head, an endless head, slowloris, binary garbage, {@code /_bytes} out of bounds), random bytes
 * on the control socket, and fuzzed configurations on reload. Each gets a clear error; nothing else breaks.
 * Frames on the channels: worker-core's WorkerHostileFramesIT. Figures: docs/RELIABILITY.md.
 */
class HostileInputIT {
    static final int SLOWLORIS = 200;
    static final long HEADER_TIMEOUT_MILLIS = 2_000;
    /** How late after client_header_timeout a slowloris connection may be cut: the worker's timer on a busy host. */
    static final long SLOWLORIS_SLACK_MILLIS = 1_000;
    /** Random mutations of a valid configuration, beside the hand-written hostile ones. */
    static final int MUTATIONS = 16;

    @Test
    @TimingSensitive
    void hostileHttpClientsGetClearErrorsWhileEveryoneElseIsServed() throws Exception {
        try (RunningMaster master = RunningMaster.start("http { client_header_timeout = " + HEADER_TIMEOUT_MILLIS + "ms, max_bytes = 1m }")) {
            List<Integer> workers = master.awaitWorkers(2);
            Map<Integer, Integer> fdsBefore = new LinkedHashMap<>();
            workers.forEach(w -> fdsBefore.put(w, ProcFs.settledFdCount(w)));

            // Slowloris: 200 connections each dribbling one header line every 300 ms, never ending the head.
            List<SocketChannel> slow = new ArrayList<>();
            long[] connectedAt = new long[SLOWLORIS];
            for (int i = 0; i < SLOWLORIS; i++) {
                SocketChannel c = SocketChannel.open(new InetSocketAddress("127.0.0.1", master.port()));
                connectedAt[i] = System.nanoTime();
                c.write(ByteBuffer.wrap("GET / HTTP/1.1\r\nHost: x\r\n".getBytes(StandardCharsets.US_ASCII)));
                c.configureBlocking(false);
                slow.add(c);
            }
            long[] cutAfterMillis = new long[SLOWLORIS];
            Thread dribbler = new Thread(() -> dribble(slow, connectedAt, cutAfterMillis), "slowloris");
            dribbler.start();

            Map<String, String> answers = new LinkedHashMap<>();
            long worstMillis = 0;
            try {
                for (int i = 0; i < 20; i++) {
                    long t0 = System.nanoTime();
                    assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
                    worstMillis = Math.max(worstMillis, (System.nanoTime() - t0) / 1_000_000);
                }
                answers.put("request line of 64 KiB", exchange(master.port(), "GET /" + "a".repeat(65536) + " HTTP/1.1\r\nHost: x\r\n\r\n"));
                answers.put("header of 64 KiB", exchange(master.port(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(65536) + "\r\n\r\n"));
                answers.put("1 MiB of header lines, never ended", exchange(master.port(), "GET / HTTP/1.1\r\n" + "X-A: b\r\n".repeat(131072)));
                answers.put("binary garbage", exchange(master.port(), new String(randomBytes(4096), StandardCharsets.ISO_8859_1)));
                answers.put("Content-Length 10 GB", exchange(master.port(), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000000\r\n\r\n" + "z".repeat(1000)));
                answers.put("/_bytes/1048577 (max_bytes + 1)", exchange(master.port(), get("/_bytes/1048577")));
                answers.put("/_bytes/-1", exchange(master.port(), get("/_bytes/-1")));
                answers.put("/_bytes/99999999999999999999999", exchange(master.port(), get("/_bytes/99999999999999999999999")));
                answers.put("/_bytes/0x10", exchange(master.port(), get("/_bytes/0x10")));
                answers.put("/_bytes/1048576 (max_bytes)", exchange(master.port(), get("/_bytes/1048576")));
            } finally {
                dribbler.join(30_000);
                for (SocketChannel c : slow) {
                    c.close();
                }
            }
            answers.forEach((what, answer) -> System.out.println("hostile HTTP: " + what + " -> " + answer));
            assertThat(answers.get("request line of 64 KiB")).isEqualTo("414, then closed");
            assertThat(answers.get("header of 64 KiB")).isEqualTo("400, then closed");
            assertThat(answers.get("1 MiB of header lines, never ended")).isEqualTo("400, then closed");
            assertThat(answers.get("binary garbage")).isEqualTo("400, then closed");
            assertThat(answers.get("Content-Length 10 GB")).matches("4\\d\\d, then closed");
            for (String bad : List.of("/_bytes/1048577 (max_bytes + 1)", "/_bytes/-1", "/_bytes/99999999999999999999999", "/_bytes/0x10")) {
                // A well-formed request for a bad path: refused, and the keep-alive connection goes on.
                assertThat(answers.get(bad)).as(bad).isEqualTo("400, connection kept");
            }
            assertThat(answers.get("/_bytes/1048576 (max_bytes)")).isEqualTo("200 with 1048576 bytes");

            // Every slowloris connection was cut by client_header_timeout (2 s, counted from its accept), none before
            // it and none later than SLOWLORIS_SLACK_MILLIS after it (docs/RELIABILITY.md states this bound).
            long earliest = java.util.Arrays.stream(cutAfterMillis).min().orElseThrow();
            long latest = java.util.Arrays.stream(cutAfterMillis).max().orElseThrow();
            assertThat(java.util.Arrays.stream(cutAfterMillis).filter(ms -> ms == 0).count()).as("connections never cut").isZero();
            assertThat(earliest).as("the earliest cut, after its connect").isGreaterThanOrEqualTo(HEADER_TIMEOUT_MILLIS - 100);
            assertThat(latest).as("the latest cut, after its connect").isLessThanOrEqualTo(HEADER_TIMEOUT_MILLIS + SLOWLORIS_SLACK_MILLIS);
            Figures.record("hostile HTTP", SLOWLORIS + " slowloris connections all cut " + earliest + " to " + latest
                    + " ms after their connect (client_header_timeout 2 s); 20 ordinary requests meanwhile, slowest "
                    + worstMillis + " ms; " + answers);

            // Nothing crashed, and the connections are gone from the workers.
            assertThat(master.workers()).containsExactlyInAnyOrderElementsOf(workers);
            await().atMost(Duration.ofSeconds(10)).until(() ->
                    workers.stream().allMatch(w -> ProcFs.settledFdCount(w) <= fdsBefore.get(w)));
        }
    }

    @Test
    void randomControlBytesAndFuzzedConfigurationsOnReloadChangeNothing() throws Exception {
        // No spares (worker_spares = auto by default): the master's descriptors are counted before and after.
        String header = "worker_spares = 0, worker_processes = 2\nworker_shutdown_timeout = 5s\n";
        String body = "worker_respawn_backoff = 100ms\nworker_priority = 0\n"
                + "http {\n  body = \"hello\\n\"\n  keepalive_requests = 100\n  max_bytes = 1m\n}\n";
        try (RunningMaster master = RunningMaster.start(body)) {
            List<Integer> workers = master.awaitWorkers(2);
            int fdsBefore = ProcFs.settledFdCount(master.pid());
            Path socket = master.prefix().resolve("logs/masterwork.sock");
            Random random = new Random(15);

            // 50 clients of random bytes (newlines included), 8 at a time, each closed after its burst.
            int controlErrors = 0;
            for (int round = 0; round < 50; round += 8) {
                List<SocketChannel> clients = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    SocketChannel c = SocketChannel.open(StandardProtocolFamily.UNIX);
                    c.connect(UnixDomainSocketAddress.of(socket));
                    byte[] junk = randomBytes(1 + random.nextInt(8192));
                    c.write(ByteBuffer.wrap(junk));
                    clients.add(c);
                }
                for (SocketChannel c : clients) {
                    c.shutdownOutput();
                    controlErrors += countErrors(c);
                    c.close();
                }
            }
            assertThat(controlErrors).isPositive();
            try (ControlClient client = ControlClient.connect(socket)) {
                assertThat(client.ask("status", Duration.ofSeconds(10))).startsWith("{\"pid\":" + master.pid());
            }

            // Hostile configurations on reload: the master answers every one, and the old generation serves throughout.
            Path conf = master.prefix().resolve("conf/masterwork.conf");
            String listen = "listen = \"127.0.0.1:" + master.port() + "\"\n";
            // Each hand-written one is refused with its own message: the file, the line (1-3 are listen and the
            // header: the hostile text starts at line 4) and the key where there is one.
            String file = conf.toString();
            List<HostileConfig> handWritten = List.of(
                    new HostileConfig("a = " + "[".repeat(20_000), file + ": nested too deeply to be read (a runaway [ or { ?)"),
                    new HostileConfig("a = " + "{ b = ".repeat(5_000), file + ": nested too deeply to be read (a runaway [ or { ?)"),
                    new HostileConfig("worker_processes = " + "[".repeat(50_000), file + ": nested too deeply to be read (a runaway [ or { ?)"),
                    new HostileConfig("app { x = " + "[".repeat(3_000) + "]".repeat(3_000) + " }\n",
                            file + ": nested too deeply to be read (a runaway [ or { ?)"),
                    new HostileConfig("a = ${b}\nb = ${a}\n", file + ":5: Could not resolve substitution to a value: ${a} was part of a"
                            + " cycle of substitutions involving ${b}, ${a}, ${b}"),
                    new HostileConfig("worker_processes = 99999999999999999999\n",
                            file + ":4: worker_processes: expected a number or \"auto\", got \"99999999999999999999\""),
                    new HostileConfig("worker_processes = -1\n", file + ":4: worker_processes: must be between 1 and 1024 or \"auto\", got -1"),
                    new HostileConfig("listen = \"999.1.1.1:80\"\n",
                            file + ":4: listen: host \"999.1.1.1\" in listen address \"999.1.1.1:80\" cannot be resolved"),
                    new HostileConfig("user = \"no-such-user-15\"\n", file + ":4: user: no such user \"no-such-user-15\""),
                    new HostileConfig("error_log = \"logs/e.log shout\"\n", file + ":4: error_log: unknown log level \"shout\" (expected one"
                            + " of debug, info, notice, warn, error, crit, alert, emerg)"),
                    new HostileConfig("\u0000\u0001\u0002 = \uFFFF\n", file + ":4: \u0000\u0001\u0002: unknown key (known keys: app, "),
                    new HostileConfig("http { body = \"unterminated\n", file + ":4: Expecting a value but got wrong token: 'newline'"
                            + " (JSON does not allow unescaped newline in quoted strings, use a backslash escape)"),
                    // An include that finds no file is no error in HOCON (includes are optional); the next line is.
                    new HostileConfig("include file(\"/nonexistent/masterwork-15.conf\")\nworker_processes = x\n",
                            file + ":5: worker_processes: expected a number or \"auto\", got \"x\""),
                    // The parser stops at the end of the line that holds the megabyte key: line 5. The key is bounded.
                    new HostileConfig("x".repeat(1 << 20) + "\n", file + ":5: Key 'xxxxxxxxxx"),
                    new HostileConfig("modules { worker = [\"no.such.Module\"] }\n",
                            file + ":4: modules.worker: class \"no.such.Module\" not found on the worker class path"),
                    new HostileConfig("worker_class_path = [\"/nonexistent.jar\"]\nmodules { worker = [\"no.such.Module\"] }\n",
                            file + ":4: worker_class_path: \"/nonexistent.jar\" does not exist"));
            int refused = 0;
            for (HostileConfig hostile : handWritten) {
                Files.writeString(conf, listen + header + hostile.text());
                String message = refusal(socket, hostile.text());
                assertThat(message).as("the refusal of %s", hostile).startsWith(hostile.expected());
                assertThat(message.length()).as("a bounded message for %s", hostile).isLessThan(1_000);
                refused++;
                assertThat(Http.get(master.port(), "/_worker").text()).contains("\"generation\":1");
            }
            assertThat(master.workers()).containsExactlyInAnyOrderElementsOf(workers);

            // Random mutations of a valid file: each refused with the file named, or, when a mutation happens to be
            // valid, done; the master answers every one and never stops serving.
            int done = 0;
            List<String> messages = new ArrayList<>();
            for (int i = 0; i < MUTATIONS; i++) {
                String text = mutate(body, random);
                Files.writeString(conf, listen + header + text);
                String answer;
                try (ControlClient client = ControlClient.connect(socket)) {
                    answer = client.ask("reload", Duration.ofSeconds(60));
                }
                if (answer.contains("\"ok\":false")) {
                    refused++;
                    assertThat(answer).contains("masterwork.conf");
                    if (messages.size() < 6) {
                        messages.add(answer.length() > 160 ? answer.substring(0, 160) + "…" : answer);
                    }
                } else {
                    assertThat(answer).contains("\"ok\":true");
                    done++;
                }
                assertThat(Http.get(master.port(), "/").status()).isEqualTo(200);
            }
            assertThat(master.isAlive()).isTrue();
            int tried = handWritten.size() + MUTATIONS;
            Files.writeString(conf, listen + header + body);
            try (ControlClient client = ControlClient.connect(socket)) {
                assertThat(client.ask("reload", Duration.ofSeconds(60))).contains("\"ok\":true");
            }
            master.awaitWorkers(2);
            await().atMost(Duration.ofSeconds(10)).until(() -> ProcFs.settledFdCount(master.pid()) == fdsBefore);
            Figures.record("hostile control socket and configurations", "50 control clients of random bytes: "
                    + controlErrors + " error answers; " + tried + " hostile configurations on reload (" + handWritten.size()
                    + " hand-written, each refused with its expected message): "
                    + refused + " refused, " + done + " valid after mutation and done; master fds " + fdsBefore
                    + " before and after; refusals of mutations: " + messages);
            assertThat(master.errorLog()).doesNotContain("error while handling");
        }
    }

    /** A hand-written hostile configuration and the start of the refusal it must get. */
    private record HostileConfig(String text, String expected) {
        @Override
        public String toString() {
            String shown = text.length() > 60 ? text.substring(0, 60) + "… (" + text.length() + " characters)" : text;
            return "\"" + shown.replace("\n", "\\n") + "\"";
        }
    }

    /** Asks for a reload on the control socket; it must be refused. Returns the refusal's message. */
    private static String refusal(Path socket, String text) throws IOException {
        String answer;
        try (ControlClient client = ControlClient.connect(socket)) {
            answer = client.ask("reload", Duration.ofSeconds(60));
        }
        com.typesafe.config.Config outcome = com.typesafe.config.ConfigFactory.parseString(answer,
                com.typesafe.config.ConfigParseOptions.defaults().setSyntax(com.typesafe.config.ConfigSyntax.JSON));
        assertThat(outcome.getBoolean("ok")).as("reload of a hostile configuration refused: %s", answer).isFalse();
        assertThat(outcome.getLong("generation")).isEqualTo(1);
        return outcome.getString("message");
    }

    private static String get(String path) {
        return "GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n";
    }

    /** Sends the text, reads the answer: "<status>, then closed", "<status> with N bytes", or what happened. */
    private static String exchange(int port, String request) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
            s.setSoTimeout(10_000);
            try {
                s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            } catch (IOException e) {
                // The server answered and closed before taking it all: read what it said.
            }
            InputStream in = s.getInputStream();
            String head = readHead(in);
            if (head == null) {
                return "closed without an answer";
            }
            int status = Integer.parseInt(head.split(" ")[1]);
            long length = -1;
            for (String line : head.split("\r\n")) {
                if (line.toLowerCase().startsWith("content-length:")) {
                    length = Long.parseLong(line.substring(15).trim());
                }
            }
            long body = length < 0 ? 0 : in.readNBytes((int) length).length;
            if (status == 200) {
                return "200 with " + body + " bytes";
            }
            // Whether the connection is still usable: a next request is answered, or the server has closed it.
            try {
                s.getOutputStream().write(get("/").getBytes(StandardCharsets.US_ASCII));
                String next = readHead(in);
                if (next == null) {
                    return status + ", then closed";
                }
                return status + (next.startsWith("HTTP/1.1 200 ") ? ", connection kept" : ", then " + next.lines().findFirst().orElse(""));
            } catch (java.net.SocketTimeoutException e) {
                return status + ", then no answer to a next request within 10 s";
            } catch (IOException e) {
                return status + ", then closed";
            }
        }
    }

    private static String readHead(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        int c;
        try {
            while ((c = in.read()) != -1) {
                head.append((char) c);
                if (head.length() >= 4 && head.substring(head.length() - 4).equals("\r\n\r\n")) {
                    return head.toString();
                }
            }
        } catch (java.net.SocketTimeoutException e) {
            throw e; // no answer: not the same as a close
        } catch (IOException e) {
            return head.length() == 0 ? null : head.toString();
        }
        return head.length() == 0 ? null : head.toString();
    }

    /**
     * Writes one more header line on every open connection each 300 ms, and notes when each is cut (end of stream,
     * an answer, or a reset), relative to its own connect: a selector sees the cut when it happens, not at the next
     * round of writes.
     */
    private static void dribble(List<SocketChannel> slow, long[] connectedAt, long[] cutAfterMillis) {
        ByteBuffer buf = ByteBuffer.allocate(4096);
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        int open = slow.size();
        try (java.nio.channels.Selector selector = java.nio.channels.Selector.open()) {
            for (int i = 0; i < slow.size(); i++) {
                slow.get(i).register(selector, java.nio.channels.SelectionKey.OP_READ, i);
            }
            long nextLine = System.nanoTime() + Duration.ofMillis(300).toNanos();
            while (open > 0 && System.nanoTime() < end) {
                selector.select(20);
                for (java.nio.channels.SelectionKey key : selector.selectedKeys()) {
                    int i = (Integer) key.attachment();
                    boolean cut;
                    try {
                        buf.clear();
                        cut = ((SocketChannel) key.channel()).read(buf) != 0; // -1: closed; > 0: an answer
                    } catch (IOException e) {
                        cut = true;
                    }
                    if (cut && cutAfterMillis[i] == 0) {
                        cutAfterMillis[i] = Math.max(1, (System.nanoTime() - connectedAt[i]) / 1_000_000);
                        key.cancel();
                        open--;
                    }
                }
                selector.selectedKeys().clear();
                if (System.nanoTime() - nextLine >= 0) {
                    nextLine += Duration.ofMillis(300).toNanos();
                    for (int i = 0; i < slow.size(); i++) {
                        if (cutAfterMillis[i] == 0) {
                            try {
                                slow.get(i).write(ByteBuffer.wrap("X-Slow: 1\r\n".getBytes(StandardCharsets.US_ASCII)));
                            } catch (IOException e) {
                                cutAfterMillis[i] = Math.max(1, (System.nanoTime() - connectedAt[i]) / 1_000_000);
                                open--;
                            }
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Error lines the master wrote back to one control client before closing it. */
    private static int countErrors(SocketChannel c) throws IOException {
        ByteBuffer buf = ByteBuffer.allocate(65536);
        StringBuilder text = new StringBuilder();
        long end = System.nanoTime() + Duration.ofSeconds(15).toNanos();
        while (System.nanoTime() < end) {
            buf.clear();
            int n;
            try {
                n = c.read(buf);
            } catch (IOException e) {
                break;
            }
            if (n < 0) {
                break;
            }
            text.append(new String(buf.array(), 0, n, StandardCharsets.UTF_8));
        }
        return (int) text.toString().lines().filter(l -> l.startsWith("error: ")).count();
    }

    private static byte[] randomBytes(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    /** One of: truncated, bytes replaced, a line repeated, a junk line inserted. */
    private static String mutate(String text, Random random) {
        StringBuilder s = new StringBuilder(text);
        switch (random.nextInt(4)) {
            case 0 -> s.setLength(random.nextInt(s.length()));
            case 1 -> {
                for (int k = 1 + random.nextInt(4); k > 0; k--) {
                    s.setCharAt(random.nextInt(s.length()), (char) (32 + random.nextInt(95)));
                }
            }
            case 2 -> {
                String[] lines = text.split("\n");
                s.append(lines[random.nextInt(lines.length)]).append('\n').append(lines[random.nextInt(lines.length)]);
            }
            default -> s.insert(random.nextInt(s.length()), "\n" + new String(randomBytes(1 + random.nextInt(40)),
                    StandardCharsets.ISO_8859_1) + "\n");
        }
        return s.toString();
    }

    private static void pause(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
