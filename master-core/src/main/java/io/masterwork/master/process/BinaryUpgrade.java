package io.masterwork.master.process;

import io.masterwork.master.Version;
import io.masterwork.posix.Posix;
import io.masterwork.posix.ProcessTitle;
import io.masterwork.posix.SpawnRequest;
import io.masterwork.posix.WaitStatus;
import java.io.File;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * nginx's binary upgrade, both sides of it. As the old master, on USR2: the pid file (and control socket) become
 * {@code .oldbin}, and a new master from the newest build starts with the listening sockets and nothing else; both
 * serve until WINCH and QUIT retire this one, and name their workers to each other over an {@link UpgradeChannel} so that
 * the retiring side's connections move instead of closing. The new master is this master's child: when it exits while this one
 * runs, the upgrade is rolled back and the {@code .oldbin} files return. As the new master: who handed over
 * ({@link UpgradeHandover}), refused when it speaks another hand-over protocol.
 */
final class BinaryUpgrade {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");
    /** The master's entry point on its command line: what comes after it are the operator's arguments. */
    static final String MASTER_MAIN_CLASS = "io.masterwork.master.cli.Masterwork";

    /** A new master started by this one, serving beside it. */
    private record NewMaster(int pid, Path pidFile, Path controlSocket) {
    }

    private final Posix posix;
    private final Listeners listeners;
    /** As a new master: who handed over the listeners. */
    private final Optional<UpgradeHandover> handover;
    /** This process's argv as it was started, before the title overwrote it: a new master is started alike. */
    private final List<String> launchArgv;
    private NewMaster newMaster;
    /** The channel to the other master of an upgrade under way (the new one, or as a new master the old one); or null. */
    private UpgradeChannel peer;

    /** The extensions' sockets a new master takes over too (the status page's), by name. */
    private final java.util.function.Supplier<Map<String, Integer>> extensionSockets;

    BinaryUpgrade(Posix posix, Listeners listeners, Map<String, String> environment,
                  java.util.function.Supplier<Map<String, Integer>> extensionSockets) {
        this.posix = posix;
        this.listeners = listeners;
        this.extensionSockets = extensionSockets;
        this.handover = UpgradeHandover.genuine(posix, environment);
        this.launchArgv = ProcessTitle.commandLine();
        if (handover.isPresent() && handover.get().channelFd() >= 0 && handover.get().protocol() == UpgradeHandover.PROTOCOL) {
            try {
                peer = UpgradeChannel.inherited(posix, handover.get().channelFd(), handover.get().oldPid());
            } catch (RuntimeException e) {
                log.error("the upgrade channel (fd {}) from the old master cannot be used: {}; connections will not move "
                        + "between the two masters", handover.get().channelFd(), e.getMessage());
            }
        } else if (handover.isPresent()) {
            log.info("the old master {} gave no upgrade channel (a build without it): connections will not move between "
                    + "the two masters", handover.get().oldPid());
        }
    }

    /** The channel to the other master while both run, or null. */
    UpgradeChannel peer() {
        return peer;
    }

    /** The other master is gone (or the channel broke): the channel closes; returns the news for retiring workers. */
    List<io.masterwork.channel.ChannelFrame> closePeer() {
        if (peer == null) {
            return List.of();
        }
        List<io.masterwork.channel.ChannelFrame> gone = peer.close();
        peer = null;
        return gone;
    }

    static Path oldbin(Path path) {
        return path.resolveSibling(path.getFileName() + ".oldbin");
    }

    /** This master's first generation: 1, or the old master's next when it was handed over; another protocol throws. */
    long firstGeneration() {
        if (handover.isEmpty()) {
            return 1;
        }
        UpgradeHandover h = handover.get();
        if (h.protocol() != UpgradeHandover.PROTOCOL) {
            throw new IllegalStateException("cannot take over from masterwork/" + h.oldVersion() + " (pid "
                    + h.oldPid() + "): it hands over with protocol " + h.protocol() + ", this master speaks "
                    + UpgradeHandover.PROTOCOL);
        }
        log.info("binary upgrade: masterwork/{} (pid {}, generation {}) hands over to masterwork/{}",
                h.oldVersion(), h.oldPid(), h.oldGeneration(), Version.get());
        return h.oldGeneration() + 1;
    }

    boolean inProgress() {
        return newMaster != null;
    }

    /**
     * USR2: moves the pid file and control socket aside and starts the new master; false (logged) when it is refused
     * or fails, with every file back in place.
     */
    boolean start(Path pidFile, Path controlSocket, long generation) {
        if (newMaster != null) {
            log.warn("USR2 refused: the upgrade to master {} is in progress", newMaster.pid());
            return false;
        }
        if (handover.isPresent() && posix.isAlive(handover.get().oldPid()) && posix.getppid() == handover.get().oldPid()) {
            log.warn("USR2 ignored: the old master {} still runs; QUIT it first", handover.get().oldPid());
            return false;
        }
        List<String> command;
        try {
            command = newMasterCommand();
        } catch (UntrustedBinary e) {
            log.error("binary upgrade refused: {}; this master carries on", e.getMessage());
            return false;
        }
        try {
            Files.move(pidFile, oldbin(pidFile), StandardCopyOption.ATOMIC_MOVE);
            if (controlSocket != null && Files.exists(controlSocket)) {
                Files.move(controlSocket, oldbin(controlSocket), StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            log.error("binary upgrade refused: cannot move the pid file aside: {}", e.toString());
            restore(pidFile, controlSocket);
            return false;
        }
        closePeer(); // an old master's, gone by now: USR2 is refused while it lives
        int[] pair;
        try {
            pair = UpgradeChannel.pair(posix);
        } catch (RuntimeException e) {
            log.error("binary upgrade refused: cannot make the upgrade channel: {}", e.getMessage());
            restore(pidFile, controlSocket);
            return false;
        }
        int pid;
        try {
            pid = spawnNewMaster(command, generation, pair[1]);
        } catch (RuntimeException e) {
            log.error("binary upgrade failed: cannot start the new master: {}", e.getMessage());
            posix.closeQuietly(pair[0]);
            posix.closeQuietly(pair[1]);
            restore(pidFile, controlSocket);
            return false;
        }
        posix.closeQuietly(pair[1]); // the new master has its own copy: EOF here means it is gone
        try {
            peer = UpgradeChannel.towardsNewMaster(posix, pair);
            peer.peerPid(pid);
        } catch (RuntimeException e) {
            log.error("the upgrade channel to the new master {} cannot be used: {}; connections will not move to it", pid,
                    e.getMessage());
        }
        newMaster = new NewMaster(pid, pidFile, controlSocket);
        log.info("binary upgrade: new master process {} started; this master (masterwork/{}) keeps serving until WINCH and QUIT",
                pid, Version.get());
        return true;
    }

    int newMasterPid() {
        return newMaster == null ? -1 : newMaster.pid();
    }

    /** Reaps the new master; true when it exited, and the upgrade is rolled back (the .oldbin files returned). */
    boolean reapNewMaster() {
        if (newMaster == null) {
            return false;
        }
        WaitStatus status = posix.waitpid(newMaster.pid(), true);
        if (status == null) {
            return false;
        }
        NewMaster gone = newMaster;
        newMaster = null;
        log.warn("the new master process {} {}; the upgrade is rolled back, this master carries on", gone.pid(), status);
        restore(gone.pidFile(), gone.controlSocket());
        return true;
    }

    /**
     * As this master exits: when its new master carries on, the pid file and control socket are the new master's, and
     * only this one's {@code .oldbin} files go (true); otherwise (false) the caller removes its own pid file.
     */
    boolean handedOver() {
        if (newMaster == null || !posix.isAlive(newMaster.pid())) {
            return false;
        }
        deleteQuietly(oldbin(newMaster.pidFile()));
        if (newMaster.controlSocket() != null) {
            deleteQuietly(oldbin(newMaster.controlSocket()));
        }
        log.info("the new master {} carries on", newMaster.pid());
        return true;
    }

    private static void restore(Path pid, Path socket) {
        try {
            if (Files.exists(oldbin(pid))) {
                Files.move(oldbin(pid), pid, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            if (socket != null && Files.exists(oldbin(socket))) {
                Files.move(oldbin(socket), socket, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
        } catch (IOException e) {
            log.error("cannot move the .oldbin files back: {}", e.toString());
        }
    }

    private static void deleteQuietly(Path path) {
        try {
            Files.deleteIfExists(path);
        } catch (IOException e) {
            log.warn("cannot remove {}: {}", path, e.toString());
        }
    }

    /**
     * Starts the new master: the newest build's bin/masterwork when this master runs from a build (the launcher's
     * .masterwork/current), else this master's own command line. It gets the listeners at 3, 4, ..., the extensions'
     * sockets, its end of the upgrade channel and stdin/stdout/stderr; no worker's channel, no other descriptor.
     */
    private int spawnNewMaster(List<String> command, long generation, int channelEnd) {
        List<InetSocketAddress> addresses = new ArrayList<>(listeners.byAddress().keySet());
        List<Integer> fds = new ArrayList<>(listeners.byAddress().values());
        List<String> env = new ArrayList<>();
        System.getenv().forEach((k, v) -> {
            if (!k.equals("MASTERWORK_SIGNALS_ROUTED") && !k.startsWith("LISTEN_") && !k.equals(UpgradeHandover.ENV_LISTENERS)
                    && !k.equals(UpgradeHandover.ENV_UPGRADE) && !k.equals(UpgradeHandover.ENV_EXTENSION_SOCKETS)
                    && !k.equals("_JAVA_SR_SIGNUM")) {
                env.add(k + "=" + v);
            }
        });
        List<InetSocketAddress> bound = new ArrayList<>();
        fds.forEach(fd -> bound.add(posix.localAddress(fd)));
        env.add(UpgradeHandover.ENV_LISTENERS + "=" + UpgradeHandover.listenersValue(bound, 3));
        // The extensions' sockets follow the listeners: MASTERWORK_EXTENSION_SOCKETS=status 5;..., then the upgrade channel.
        Map<String, Integer> extensions = new java.util.LinkedHashMap<>(extensionSockets.get());
        int channelInNewMaster = 3 + fds.size() + extensions.size();
        env.add(UpgradeHandover.ENV_UPGRADE + "=" + new UpgradeHandover(UpgradeHandover.PROTOCOL, posix.getpid(),
                Version.get(), generation, channelInNewMaster).environmentValue());
        StringBuilder named = new StringBuilder();
        int fdInNewMaster = 3 + fds.size();
        for (String name : extensions.keySet()) {
            named.append(named.length() == 0 ? "" : ";").append(name).append(' ').append(fdInNewMaster++);
        }
        if (named.length() > 0) {
            env.add(UpgradeHandover.ENV_EXTENSION_SOCKETS + "=" + named);
        }
        SpawnRequest request = new SpawnRequest(command.get(0)).argv(command.subList(1, command.size()))
                .environment(env).workingDirectory(System.getProperty("user.dir"))
                .mapFd(0, 0).mapFd(1, 1).mapFd(2, 2);
        for (int i = 0; i < fds.size(); i++) {
            request.mapFd(fds.get(i), 3 + i);
        }
        // The extensions' sockets follow the listeners (named in the environment above).
        int next = 3 + fds.size();
        for (int fd : extensions.values()) {
            request.mapFd(fd, next++);
        }
        request.mapFd(channelEnd, channelInNewMaster);
        log.info("starting the new master: {} (listeners {}{}, the upgrade channel)", String.join(" ", command.subList(1, command.size())),
                addresses, extensions.isEmpty() ? "" : ", the sockets of " + extensions.keySet());
        return posix.spawn(request);
    }

    /** A binary the master will not execute: the path and why, for the log. */
    static final class UntrustedBinary extends Exception {
        private static final long serialVersionUID = 1L;

        UntrustedBinary(Path path, String reason) {
            super(path + ": " + reason, null, false, false);
        }
    }

    /**
     * [executable, argv0, args...]: the new master's binary, only one this master may trust (TrustedExecutable: owned
     * by root or this master's user, nothing on its way writable by others, links followed only where nobody else
     * could have placed them), from the distribution's own layout or MASTERWORK_UPGRADE_BINARY; else this master's own
     * command line, whose java is checked alike.
     */
    private List<String> newMasterCommand() throws UntrustedBinary {
        int main = launchArgv.indexOf(MASTER_MAIN_CLASS);
        List<String> userArgs = main >= 0 ? launchArgv.subList(main + 1, launchArgv.size()) : List.of();
        Path script = newestBuildScript();
        List<String> command = new ArrayList<>();
        if (script != null) {
            trusted(script);
            command.add(script.toString());
            command.add(script.toString());
            command.addAll(userArgs);
        } else {
            trusted(Path.of(posix.executablePath()));
            command.add(posix.executablePath());
            command.addAll(launchArgv);
        }
        return command;
    }

    private void trusted(Path binary) throws UntrustedBinary {
        String refusal = TrustedExecutable.refusal(binary.toAbsolutePath(), posix.geteuid());
        if (refusal != null) {
            throw new UntrustedBinary(binary, refusal);
        }
    }

    /**
     * MASTERWORK_UPGRADE_BINARY when set (the configured path: it must be there); else the launcher's newest build
     * ({@code <root>/.masterwork/current/bin/masterwork}) when this master runs from
     * {@code <root>/.masterwork/builds/<build>/lib}; else this build's own bin/masterwork beside its lib/; else null.
     */
    private static Path newestBuildScript() {
        String override = System.getenv("MASTERWORK_UPGRADE_BINARY");
        if (override != null && !override.isEmpty()) {
            return Path.of(override);
        }
        String first = System.getProperty("java.class.path").split(File.pathSeparator)[0];
        Path lib = Path.of(first).toAbsolutePath().getParent();
        if (lib == null || lib.getParent() == null) {
            return null;
        }
        Path build = lib.getParent();
        Path builds = build.getParent();
        if (builds != null && builds.getFileName() != null && builds.getFileName().toString().equals("builds")
                && builds.getParent() != null && builds.getParent().getFileName() != null
                && builds.getParent().getFileName().toString().equals(".masterwork")) {
            Path current = builds.getParent().resolve("current/bin/masterwork");
            if (Files.exists(current)) {
                return current;
            }
        }
        Path own = build.resolve("bin/masterwork");
        return Files.exists(own, java.nio.file.LinkOption.NOFOLLOW_LINKS) ? own : null;
    }
}
