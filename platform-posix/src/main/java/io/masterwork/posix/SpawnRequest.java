package io.masterwork.posix;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What posix_spawn starts: the program, argv (argv[0] is free, e.g. a process title), the
 * environment, and exactly which parent descriptors appear in the child under which numbers.
 * Nothing else crosses: every child descriptor above the highest mapped one is closed
 * (posix_spawn_file_actions_addclosefrom_np), and the ones below it that are not mapped are closed too.
 */
public final class SpawnRequest {
    private final String path;
    private final List<String> argv = new ArrayList<>();
    private final List<String> environment = new ArrayList<>();
    private final Map<Integer, Integer> childToParentFd = new LinkedHashMap<>();
    private String workingDirectory;
    private final Set<Signal> blockedSignals = EnumSet.noneOf(Signal.class);
    private boolean newSession;

    public SpawnRequest(String path) {
        this.path = path;
    }

    public SpawnRequest argv(List<String> args) {
        argv.clear();
        argv.addAll(args);
        return this;
    }

    public SpawnRequest environment(List<String> nameEqualsValue) {
        environment.clear();
        environment.addAll(nameEqualsValue);
        return this;
    }

    /** The parent's {@code parentFd} appears as {@code childFd} in the child (dup2: not close-on-exec). */
    public SpawnRequest mapFd(int parentFd, int childFd) {
        childToParentFd.put(childFd, parentFd);
        return this;
    }

    public SpawnRequest workingDirectory(String dir) {
        this.workingDirectory = dir;
        return this;
    }

    /** Signals blocked in the child from its first instruction (default: none). */
    public SpawnRequest blockedSignals(Set<Signal> signals) {
        blockedSignals.clear();
        blockedSignals.addAll(signals);
        return this;
    }

    /** POSIX_SPAWN_SETSID: the child leads a new session with no controlling terminal. */
    public SpawnRequest newSession(boolean on) {
        this.newSession = on;
        return this;
    }

    public String path() {
        return path;
    }

    public List<String> argv() {
        return argv;
    }

    public List<String> environment() {
        return environment;
    }

    /** child fd -&gt; parent fd, in insertion order. */
    public Map<Integer, Integer> fdMap() {
        return childToParentFd;
    }

    public String workingDirectory() {
        return workingDirectory;
    }

    public Set<Signal> blockedSignals() {
        return blockedSignals;
    }

    public boolean newSession() {
        return newSession;
    }
}
