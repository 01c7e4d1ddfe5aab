package io.masterwork.worker;

import io.masterwork.channel.ChannelFrame;
import io.masterwork.posix.SocketType;
import io.masterwork.posix.WaitStatus;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * A real worker JVM, started the way the master starts one (docs/ARCHITECTURE.md), with the test as
 * its master: commands, drain, exit statuses.
 */
class WorkerLifecycleIT extends WorkerProcessTest {
    static final Duration START = Duration.ofSeconds(60);


    private MasterStandIn startWorker(String http) {
        master = MasterStandIn.create(dir);
        master.spawn(master.defaultJson(http));
        master.awaitReady(START);
        return master;
    }

    @Test
    void aWorkerReportsReadyServesTheBodyAndIsTitledLikeNginx() throws Exception {
        startWorker("\"body\":\"hi there\\n\",\"access_log\":\"off\"");
        HttpProbe.Response r = HttpProbe.get(master.address, "/anything?x=1");
        assertThat(r.status()).isEqualTo(200);
        assertThat(r.text()).isEqualTo("hi there\n");
        assertThat(r.header("content-type")).isEqualTo("text/plain");
        String cmdline = Files.readString(Path.of("/proc/" + master.pid + "/cmdline"));
        assertThat(cmdline.replace("\0", "").trim()).isEqualTo("masterwork: worker process");
        assertThat(master.errorLogText()).containsPattern(
                "\\d{4}/\\d\\d/\\d\\d \\d\\d:\\d\\d:\\d\\d \\[notice\\] " + master.pid + "#loop: worker ready");
    }

    @Test
    void theReadyFrameNamesTheWorker() {
        master = MasterStandIn.create(dir);
        master.spawn(master.defaultJson("\"access_log\":\"off\""));
        ChannelFrame ready = master.awaitReady(START);
        assertThat(ready.pid()).isEqualTo(master.pid);
        assertThat(ready.slot()).isEqualTo(3);
    }

    @Test
    void openAndCloseChannelChangeTheSiblingsThatWorkerReports() throws Exception {
        startWorker("\"access_log\":\"off\"");
        assertThat(HttpProbe.get(master.address, "/_worker").text())
                .isEqualTo("{\"pid\":" + master.pid + ",\"slot\":3,\"generation\":7,\"siblings\":[],\"cache\":{\"value\":null,\"purges\":0},\"handover\":{\"moved\":0,\"adopted\":0}}");
        int[] siblingInbox1 = MasterStandIn.POSIX.socketpair(SocketType.SEQPACKET);
        int[] siblingInbox2 = MasterStandIn.POSIX.socketpair(SocketType.SEQPACKET);
        master.keep(siblingInbox1[0]);
        master.keep(siblingInbox1[1]);
        master.keep(siblingInbox2[0]);
        master.keep(siblingInbox2[1]);
        master.send(ChannelFrame.openChannel(4242, 1, siblingInbox1[0]));
        master.send(ChannelFrame.openChannel(4343, 0, siblingInbox2[0]));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(HttpProbe.get(master.address, "/_worker").text()).isEqualTo("{\"pid\":" + master.pid
                        + ",\"slot\":3,\"generation\":7,\"siblings\":[{\"slot\":0,\"pid\":4343},{\"slot\":1,\"pid\":4242}],\"cache\":{\"value\":null,\"purges\":0},\"handover\":{\"moved\":0,\"adopted\":0}}"));
        master.send(ChannelFrame.closeChannel(4242, 1));
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                assertThat(HttpProbe.get(master.address, "/_worker").text()).isEqualTo("{\"pid\":" + master.pid
                        + ",\"slot\":3,\"generation\":7,\"siblings\":[{\"slot\":0,\"pid\":4343}],\"cache\":{\"value\":null,\"purges\":0},\"handover\":{\"moved\":0,\"adopted\":0}}"));
        // The worker closed its copy of the inbox it was told to forget: only ours remain on that socket.
        assertThat(socketsOf(master.pid)).doesNotContain(inode(siblingInbox1[0])).contains(inode(siblingInbox2[0]));
    }

    @Test
    void quitDuringALongResponseLetsItFinishThenTheWorkerExitsZero() throws Exception {
        startWorker("\"access_log\":\"off\",\"max_bytes\":\"100m\"");
        long length = 20L * 1024 * 1024;
        try (HttpProbe client = new HttpProbe(master.address, 20_000)) {
            client.send("GET /_bytes/" + length + " HTTP/1.1\r\nHost: t\r\n\r\n");
            HttpProbe.Response head = client.read(4096);
            assertThat(head.status()).isEqualTo(200);
            assertThat(head.header("connection")).isNull();
            String listener = inode(master.listenerFd);
            assertThat(socketsOf(master.pid)).contains(listener);

            master.send(ChannelFrame.quit());
            // It stops accepting at once: its copy of the listener is closed while the response goes on.
            await().atMost(Duration.ofSeconds(10)).until(() -> !socketsOf(master.pid).contains(listener));
            assertThat(master.exitStatus()).isNull();

            long rest = length - head.body().length;
            byte[] buf = new byte[65536];
            long offset = head.body().length;
            while (rest > 0) {
                int n = client.in.read(buf, 0, (int) Math.min(buf.length, rest));
                assertThat(n).as("bytes after %d; log:\n%s", offset, master.errorLogText()).isPositive();
                for (int i = 0; i < n; i++) {
                    if (buf[i] != (byte) ('a' + (int) ((offset + i) % 26))) {
                        throw new AssertionError("wrong byte at " + (offset + i));
                    }
                }
                offset += n;
                rest -= n;
            }
            // The response announced keep-alive before QUIT came: the server ends the connection after it.
            assertThat(client.closedByServer()).isTrue();
        }
        WaitStatus status = master.awaitExit(Duration.ofSeconds(15));
        assertThat(status).as(master.errorLogText()).isNotNull();
        assertThat(status.exited()).isTrue();
        assertThat(status.exitCode()).isZero();
        // The worker closed only its own copy: the master's listener still takes connections.
        try (Socket stillListening = new Socket(master.address.getAddress(), master.address.getPort())) {
            assertThat(stillListening.isConnected()).isTrue();
        }
    }

    @Test
    void quitClosesIdleKeepAliveConnectionsWithoutAReset() throws Exception {
        startWorker("\"access_log\":\"off\"");
        try (HttpProbe idle = new HttpProbe(master.address, 10_000)) {
            idle.send("GET / HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(idle.read().status()).isEqualTo(200);
            master.send(ChannelFrame.quit());
            // An orderly end of stream (FIN), not a connection reset.
            assertThat(idle.in.read()).isEqualTo(-1);
        }
        WaitStatus status = master.awaitExit(Duration.ofSeconds(15));
        assertThat(status).isNotNull();
        assertThat(status.exitCode()).isZero();
    }

    @Test
    void terminateExitsAtOnceEvenDuringAResponse() throws Exception {
        startWorker("\"access_log\":\"off\",\"max_bytes\":\"1g\"");
        try (HttpProbe client = new HttpProbe(master.address, 20_000)) {
            client.send("GET /_bytes/1000000000 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(client.read(1024).status()).isEqualTo(200);
            master.send(ChannelFrame.terminate());
            WaitStatus status = master.awaitExit(Duration.ofSeconds(10));
            assertThat(status).isNotNull();
            assertThat(status.exited()).isTrue();
            assertThat(status.exitCode()).isZero();
        }
    }

    @Test
    void eofOnTheCommandChannelMakesTheWorkerExitAndFreeThePort() throws Exception {
        startWorker("\"access_log\":\"off\"");
        assertThat(HttpProbe.get(master.address, "/").status()).isEqualTo(200);
        // As after kill -9 of the master: its descriptors close, the listener survives only in the worker.
        master.closeListener();
        master.closeCommandChannel();
        await().atMost(Duration.ofSeconds(2)).pollInterval(Duration.ofMillis(50)).untilAsserted(() ->
                assertThatThrownBy(() -> new Socket(master.address.getAddress(), master.address.getPort()).close())
                        .isInstanceOf(ConnectException.class));
        WaitStatus status = master.awaitExit(Duration.ofSeconds(5));
        assertThat(status).isNotNull();
        assertThat(status.exitCode()).isZero();
        assertThat(master.errorLogText()).contains("the master is gone");
    }

    @Test
    void whenTheMasterIsGoneAResponseInFlightGetsAboutASecondThenTheWorkerExits() throws Exception {
        startWorker("\"access_log\":\"off\",\"max_bytes\":\"1g\"");
        try (HttpProbe client = new HttpProbe(master.address, 20_000)) {
            client.send("GET /_bytes/1000000000 HTTP/1.1\r\nHost: t\r\n\r\n");
            assertThat(client.read(1024).status()).isEqualTo(200);
            // The client stops reading: the response cannot finish.
            master.closeListener();
            master.closeCommandChannel();
            WaitStatus status = master.awaitExit(Duration.ofSeconds(10));
            assertThat(status).as(master.errorLogText()).isNotNull();
            assertThat(status.exitCode()).isZero();
            assertThat(master.errorLogText()).contains("the master is gone").contains("bound 1000 ms")
                    .contains("closing the remaining connections");
        }
    }

    @Test
    void aQuitForgedIntoTheInboxIsNotObeyed() throws Exception {
        startWorker("\"access_log\":\"off\"");
        master.sendToInbox(ChannelFrame.quit());
        master.sendToInbox(ChannelFrame.terminate());
        await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLogText().contains("ignored TERMINATE"));
        assertThat(master.errorLogText()).contains("ignored QUIT");
        assertThat(master.exitStatus()).isNull();
        assertThat(HttpProbe.get(master.address, "/").status()).isEqualTo(200);
        assertThat(socketsOf(master.pid)).contains(inode(master.listenerFd));
    }

    @Test
    void aMalformedFrameOnTheCommandChannelIsLoggedAndDropped() throws Exception {
        startWorker("\"access_log\":\"off\"");
        ByteBuffer garbage = ByteBuffer.allocateDirect(16);
        garbage.put("not a frame at all".getBytes(StandardCharsets.US_ASCII), 0, 16).flip();
        MasterStandIn.POSIX.sendMessage(master.command.fd(), garbage, -1);
        await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLogText().contains("dropped a malformed frame"));
        assertThat(master.exitStatus()).isNull();
        assertThat(HttpProbe.get(master.address, "/").status()).isEqualTo(200);
    }

    @Test
    void reopenAfterTheAccessLogWasMovedWritesANewFile() throws Exception {
        startWorker("\"access_log\":\"logs/access.log\"");
        Path log = dir.resolve("logs/access.log");
        assertThat(HttpProbe.get(master.address, "/first").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(log) && Files.readString(log).contains("/first"));
        Path rotated = dir.resolve("logs/access.log.1");
        Files.move(log, rotated);
        assertThat(HttpProbe.get(master.address, "/second").status()).isEqualTo(200);
        master.send(ChannelFrame.reopen());
        await().atMost(Duration.ofSeconds(10)).until(() -> master.errorLogText().contains("logs reopened"));
        assertThat(HttpProbe.get(master.address, "/third").status()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(5)).until(() -> Files.exists(log) && Files.readString(log).contains("/third"));
        assertThat(Files.readString(rotated)).contains("/first", "/second").doesNotContain("/third");
        assertThat(Files.readAllLines(log)).hasSize(1);
        assertThat(Files.readAllLines(log).get(0)).matches(
                "127\\.0\\.0\\.1 - - \\[\\d\\d/\\w{3}/\\d{4}:\\d\\d:\\d\\d:\\d\\d [+-]\\d{4}\\] "
                        + "\"GET /third HTTP/1\\.1\" 200 \\d+ \"-\" \"-\"");
    }

    @Test
    void rlimitsFromTheConfigurationApplyAndOneThatCannotBeRaisedIsAnAlert() throws Exception {
        master = MasterStandIn.create(dir);
        master.spawn("{\"worker_rlimit_nofile\":4096,\"worker_rlimit_core\":0,\"masterwork\":{\"prefix\":\""
                + dir + "\"},\"http\":{\"access_log\":\"off\"}}");
        master.awaitReady(START);
        List<String> limits = Files.readAllLines(Path.of("/proc/" + master.pid + "/limits"));
        assertThat(limits).anySatisfy(l -> assertThat(l).matches("Max open files\\s+4096\\s+4096\\s+files\\s*"));
        assertThat(limits).anySatisfy(l -> assertThat(l).matches("Max core file size\\s+0\\s+0\\s+bytes\\s*"));
        master.close();

        master = MasterStandIn.create(dir);
        // Above fs.nr_open: not even root may raise NOFILE that far.
        master.spawn("{\"worker_rlimit_nofile\":2000000000,\"masterwork\":{\"prefix\":\""
                + dir + "\"},\"http\":{\"access_log\":\"off\"}}");
        master.awaitReady(START);
        assertThat(master.errorLogText()).contains("[alert]").contains("setrlimit(RLIMIT_NOFILE, 2000000000) failed");
        assertThat(HttpProbe.get(master.address, "/").status()).isEqualTo(200);
    }

    /** Socket inodes ("socket:[123]") open in a process. */
    static List<String> socketsOf(int pid) throws IOException {
        try (var fds = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            return fds.map(p -> {
                try {
                    return Files.readSymbolicLink(p).toString();
                } catch (IOException e) {
                    return "";
                }
            }).filter(s -> s.startsWith("socket:")).toList();
        }
    }

    static String inode(int fd) throws IOException {
        return Files.readSymbolicLink(Path.of("/proc/self/fd/" + fd)).toString();
    }
}
