package io.masterwork.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.masterwork.testkit.Persistent;
import io.masterwork.testkit.ProcFs;
import io.masterwork.testkit.RunningMaster;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Settings the README documents, checked on one real master that has them all: {@code listen} as {@code *:port},
 * as a bare port and as {@code [::1]:port}; {@code worker_processes = auto} with the default affinity;
 * {@code worker_rlimit_nofile} above the hard limit; {@code http.keepalive_timeout = 0}. One master for the class:
 * none of the checks changes it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ListenAndWorkerSettingsIT {
    /** Above fs.nr_open, which even root cannot raise RLIMIT_NOFILE past: above any hard limit. */
    private long tooManyFiles;
    private boolean ipv6Loopback;
    private int starPort;
    private int barePort;
    private int ipv6Port;
    private RunningMaster master;
    private List<Integer> workers;

    @BeforeAll
    void startOneMasterWithEverySetting() throws Exception {
        // readAllLines: Files.readString returns "1" for /proc/sys/fs/nr_open (a size-0 file) on JDK 17.
        tooManyFiles = Long.parseLong(Files.readAllLines(Path.of("/proc/sys/fs/nr_open")).get(0).trim()) + 1;
        ipv6Loopback = Files.readAllLines(Path.of("/proc/net/if_inet6")).stream()
                .anyMatch(l -> l.startsWith("00000000000000000000000000000001 "));
        starPort = RunningMaster.freePort();
        barePort = RunningMaster.freePort();
        ipv6Port = ipv6Loopback ? freeIpv6LoopbackPort() : -1;
        String listen = "listen = [\"*:" + starPort + "\", \"" + barePort + "\""
                + (ipv6Loopback ? ", \"[::1]:" + ipv6Port + "\"" : "") + "]\n";
        // RunningMaster writes its own listen line first; this one, later in the file, replaces it.
        master = RunningMaster.start(listen + "worker_processes = auto\nworker_rlimit_nofile = " + tooManyFiles + "\n"
                + "http { keepalive_timeout = 0 }", Map.of(), starPort, List.of());
        // However many workers "auto" made (its own test counts them): the master says when they all serve.
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60))
                .until(() -> master.errorLog().contains("serving: "));
        workers = master.workers();
    }

    @AfterAll
    void stopTheMaster() {
        if (master != null) {
            master.close();
        }
    }

    @Test
    void starAndABarePortAreBoundOnEveryIpv4AddressAndServe() throws Exception {
        assertThat(listening(master.pid())).contains(at("0.0.0.0", starPort), at("0.0.0.0", barePort));
        for (int port : new int[] {starPort, barePort}) {
            assertThat(get(InetAddress.getByName("127.0.0.1"), port)).as("port %d", port).startsWith("HTTP/1.1 200 ");
        }
    }

    @Test
    void anIpv6LoopbackAddressIsBoundAsWrittenAndServes() throws Exception {
        assumeTrue(ipv6Loopback, "this machine has no ::1");
        assertThat(listening(master.pid())).contains(at("::1", ipv6Port)).doesNotContain(at("::", ipv6Port));
        assertThat(get(InetAddress.getByName("::1"), ipv6Port)).startsWith("HTTP/1.1 200 ");
    }

    /** README: "auto (the CPUs this process may run on)", and the default affinity: one CPU per worker, round-robin. */
    @Test
    void workerProcessesAutoIsOneWorkerPerAllowedCpuEachPinnedToItsOwn() {
        List<Integer> allowed = AllowedCpus.list();
        assertThat(workers).hasSize(allowed.size());
        Set<String> cpus = new HashSet<>();
        for (int w : workers) {
            Set<String> ofThreads = new TreeSet<>();
            for (int tid : ProcFs.tasks(w)) {
                ofThreads.add(ProcFs.status("/proc/" + w + "/task/" + tid, "Cpus_allowed_list"));
            }
            assertThat(ofThreads).as("the CPUs of every thread of worker %d", w).hasSize(1);
            cpus.addAll(ofThreads);
        }
        assertThat(cpus).containsExactlyInAnyOrderElementsOf(allowed.stream().map(String::valueOf).toList());
    }

    /** README: "a limit the process may not raise is logged as an alert" — and the worker serves with the one it has. */
    @Test
    void aWorkerRlimitNofileAboveTheHardLimitIsAnAlertAndTheWorkerServesWithItsOwn() {
        String masterLimit = maxOpenFiles(master.pid());
        for (int w : workers) {
            assertThat(master.errorLog()).containsPattern(w + "#main: \\[alert\\] |\\[alert\\] " + w + "#main: ")
                    .contains(w + "#main: setrlimit(RLIMIT_NOFILE, " + tooManyFiles + ") failed");
            assertThat(maxOpenFiles(w)).as("worker %d keeps the limit it inherited", w).isEqualTo(masterLimit);
        }
        assertThat(master.workers()).containsExactlyInAnyOrderElementsOf(workers);
    }

    /** README: "keepalive_timeout ... (0 disables keep-alive)": every answer says close, and the connection ends. */
    @Test
    void keepaliveTimeoutZeroClosesEveryConnectionAfterItsAnswer() throws Exception {
        for (int i = 0; i < 4; i++) {
            try (Persistent client = new Persistent(starPort)) {
                Persistent.Response answer = client.request("/");
                assertThat(answer.statusLine()).startsWith("HTTP/1.1 200");
                assertThat(answer.closes()).as("Connection: close on %s", answer.headers()).isTrue();
                assertThat(client.readByte()).as("end of stream after the answer").isEqualTo(-1);
            }
        }
    }

    /** The addresses {@code pid} listens on, from its sockets' LISTEN entries in /proc/<pid>/net/tcp and tcp6. */
    private static Set<InetSocketAddress> listening(int pid) throws IOException {
        Set<String> inodes = new HashSet<>();
        ProcFs.fds(pid).values().forEach(t -> {
            if (t.startsWith("socket:[")) {
                inodes.add(t.substring(8, t.length() - 1));
            }
        });
        Set<InetSocketAddress> out = new HashSet<>();
        for (String table : List.of("tcp", "tcp6")) {
            List<String> lines = Files.readAllLines(Path.of("/proc/" + pid + "/net/" + table));
            for (String line : lines.subList(1, lines.size())) {
                // sl local_address rem_address st ... inode: st 0A is LISTEN
                String[] f = line.trim().split("\\s+");
                if (f[3].equals("0A") && inodes.contains(f[9])) {
                    out.add(address(f[1]));
                }
            }
        }
        return out;
    }

    /** /proc/net/tcp's "0100007F:1F90" (IPv4) or tcp6's 32 hex digits: the address in 32-bit words of host order. */
    private static InetSocketAddress address(String hex) throws IOException {
        String[] parts = hex.split(":");
        byte[] raw = new byte[parts[0].length() / 2];
        for (int word = 0; word < raw.length / 4; word++) {
            for (int b = 0; b < 4; b++) {
                int at = word * 8 + (3 - b) * 2;
                raw[word * 4 + b] = (byte) Integer.parseInt(parts[0].substring(at, at + 2), 16);
            }
        }
        return new InetSocketAddress(InetAddress.getByAddress(raw), Integer.parseInt(parts[1], 16));
    }

    private static InetSocketAddress at(String host, int port) throws IOException {
        return new InetSocketAddress(InetAddress.getByName(host), port);
    }

    private static String get(InetAddress address, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(address, port), 2000);
            s.setSoTimeout(10_000);
            s.getOutputStream().write("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    private static String maxOpenFiles(int pid) {
        return ProcFs.read(pid, "limits").lines().filter(l -> l.startsWith("Max open files")).findFirst().orElseThrow()
                .replaceAll("\\s+", " ");
    }

    private static int freeIpv6LoopbackPort() throws IOException {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0, 1, InetAddress.getByName("::1"))) {
            return s.getLocalPort();
        }
    }
}
