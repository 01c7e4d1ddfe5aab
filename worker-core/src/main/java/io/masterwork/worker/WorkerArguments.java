package io.masterwork.worker;

import io.masterwork.channel.SpawnContract;

/**
 * The program arguments the master passes (channel-proto's {@link SpawnContract}):
 * {@code --slot=K --generation=G --master-pid=P --listeners=N}, all required, each once. A spare worker
 * ({@code worker_spares}) gets {@code --spare=K} instead of {@code --slot}: K is then its spare number, and its slot
 * comes with PROMOTE.
 */
public record WorkerArguments(long slot, long generation, int masterPid, int listeners, boolean spare) {

    public WorkerArguments(long slot, long generation, int masterPid, int listeners) {
        this(slot, generation, masterPid, listeners, false);
    }

    public static WorkerArguments parse(String[] args) {
        Long slot = null;
        Long generation = null;
        Long masterPid = null;
        Long listeners = null;
        Long spare = null;
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                throw new WorkerInitException("unexpected argument \"" + arg + "\" (expected --name=value)");
            }
            String name = arg.substring(2, eq);
            long value = number(name, arg.substring(eq + 1));
            switch (name) {
                case SpawnContract.SLOT -> slot = once(name, slot, value);
                case SpawnContract.GENERATION -> generation = once(name, generation, value);
                case SpawnContract.MASTER_PID -> masterPid = once(name, masterPid, value);
                case SpawnContract.LISTENERS -> listeners = once(name, listeners, value);
                case SpawnContract.SPARE -> spare = once(name, spare, value);
                default -> throw new WorkerInitException("unknown argument \"--" + name + "\"");
            }
        }
        if (spare != null && slot != null) {
            throw new WorkerInitException("--spare and --slot exclude each other: a spare gets its slot when promoted");
        }
        if (spare != null) {
            slot = spare;
        }
        require("slot", slot);
        require("generation", generation);
        require("master-pid", masterPid);
        require("listeners", listeners);
        if (generation < 1) {
            throw new WorkerInitException("--generation must be >= 1, got " + generation);
        }
        if (masterPid < 1 || masterPid > Integer.MAX_VALUE) {
            throw new WorkerInitException("--master-pid is not a pid: " + masterPid);
        }
        if (listeners > SpawnContract.MAX_LISTENERS) {
            throw new WorkerInitException("--listeners=" + listeners + " is more than " + SpawnContract.MAX_LISTENERS);
        }
        return new WorkerArguments(slot, generation, (int) (long) masterPid, (int) (long) listeners, spare != null);
    }

    private static long number(String name, String text) {
        try {
            long value = Long.parseLong(text);
            if (value < 0) {
                throw new WorkerInitException("--" + name + " must not be negative, got " + text);
            }
            return value;
        } catch (NumberFormatException e) {
            throw new WorkerInitException("--" + name + " is not a number: \"" + text + "\"");
        }
    }

    private static Long once(String name, Long previous, long value) {
        if (previous != null) {
            throw new WorkerInitException("--" + name + " given twice");
        }
        return value;
    }

    private static void require(String name, Long value) {
        if (value == null) {
            throw new WorkerInitException("missing argument --" + name);
        }
    }
}
