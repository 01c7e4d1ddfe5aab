package io.masterwork.posix;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real signals, sent by the real kill(1), reach a JVM that routed them to a signalfd: QUIT
 * included, with no thread dump, the same pid, and jcmd still able to attach.
 */
class SignalRouteIT {
    private Process process;

    @AfterEach
    void stop() throws InterruptedException {
        if (process != null && process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void everyMasterSignalArrivesThroughTheSignalfd() throws Exception {
        // Started the way a shell's "&" would: INT and QUIT ignored. The route must undo that.
        List<String> command = new ArrayList<>(List.of("/bin/sh", "-c", "trap '' INT QUIT; exec \"$@\"", "sh"));
        command.addAll(ChildJvm.command(SignalRouteMain.class));
        process = new ProcessBuilder(command).start();
        List<String> out = collect(process.getInputStream());
        List<String> err = collect(process.getErrorStream());
        int pid = (int) process.pid();

        await().atMost(Duration.ofSeconds(60)).until(() -> contains(out, "READY") || !process.isAlive());
        assertThat(process.isAlive()).as("stdout %s stderr %s", out, err).isTrue();
        // HotSpot keeps an inherited "ignore" for INT but installs its own QUIT handler over it.
        assertThat(out).as("the shell made INT ignored").contains("BEFORE pid=" + pid + " ignored INT=true QUIT=false");
        assertThat(out).contains("ROUTED pid=" + pid + " property=routed srsignum=40");

        // Every thread of the new image has the signals blocked.
        long routedMask = SignalSupport.mask(SignalRouteMain.ROUTED);
        for (String sigBlk : ProcFs.taskStatus(pid, "SigBlk")) {
            assertThat(Long.parseUnsignedLong(sigBlk, 16) & routedMask).isEqualTo(routedMask);
        }
        assertThat(Long.parseUnsignedLong(ProcFs.status(pid, "SigIgn"), 16) & routedMask)
                .as("inherited SIG_IGN reset").isZero();

        for (String name : List.of("QUIT", "HUP", "USR1", "USR2", "WINCH", "TTIN", "TTOU", "INT")) {
            kill(name, pid);
            await().atMost(Duration.ofSeconds(30)).until(() -> containsPrefix(out, "SIGNAL " + name + " from "));
            assertThat(process.isAlive()).isTrue();
        }
        // The kill(1) process is the sender.
        assertThat(out.stream().filter(l -> l.startsWith("SIGNAL QUIT from ")).findFirst().orElseThrow())
                .doesNotEndWith(" from 0");

        Process jcmd = new ProcessBuilder(ChildJvm.jdkTool("jcmd"), Integer.toString(pid), "VM.uptime")
                .redirectErrorStream(true).start();
        String jcmdOut = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(jcmd.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(jcmd.exitValue()).as(jcmdOut).isZero();
        assertThat(jcmdOut).containsPattern("\\d+\\.\\d+ s");

        kill("TERM", pid);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isZero();
        assertThat(containsPrefix(out, "SIGNAL TERM from ")).isTrue();
        assertThat(out).contains("BYE");
        synchronized (out) {
            assertThat(String.join("\n", out)).doesNotContain("Full thread dump");
        }
        synchronized (err) {
            assertThat(String.join("\n", err)).doesNotContain("Full thread dump");
        }
    }

    private static void kill(String signal, int pid) throws IOException, InterruptedException {
        Process kill = new ProcessBuilder("kill", "-s", signal, Integer.toString(pid)).redirectErrorStream(true).start();
        String output = new String(kill.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(kill.exitValue()).as("kill -s %s: %s", signal, output).isZero();
    }

    private static boolean contains(List<String> lines, String line) {
        synchronized (lines) {
            return lines.contains(line);
        }
    }

    private static boolean containsPrefix(List<String> lines, String prefix) {
        synchronized (lines) {
            return lines.stream().anyMatch(l -> l.startsWith(prefix));
        }
    }

    private static List<String> collect(InputStream stream) {
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    lines.add(line);
                }
            } catch (IOException ignored) {
                // the process ended
            }
        }, "signal-route-output");
        reader.setDaemon(true);
        reader.start();
        return lines;
    }
}
