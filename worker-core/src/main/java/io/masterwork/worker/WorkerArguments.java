package io.masterwork.worker;

/**
 * The program arguments the master passes (ARCHITECTURE.md):
 * {@code --slot=K --generation=G --master-pid=P --listeners=N}, all required, each once.
 */
public record WorkerArguments(long slot, long generation, int masterPid, int listeners) {

    public static WorkerArguments parse(String[] args) {
        Long slot = null;
        Long generation = null;
        Long masterPid = null;
        Long listeners = null;
        for (String arg : args) {
            int eq = arg.indexOf('=');
            if (!arg.startsWith("--") || eq < 0) {
                throw new WorkerInitException("unexpected argument \"" + arg + "\" (expected --name=value)");
            }
            String name = arg.substring(2, eq);
            long value = number(name, arg.substring(eq + 1));
            switch (name) {
                case "slot" -> slot = once(name, slot, value);
                case "generation" -> generation = once(name, generation, value);
                case "master-pid" -> masterPid = once(name, masterPid, value);
                case "listeners" -> listeners = once(name, listeners, value);
                default -> throw new WorkerInitException("unknown argument \"--" + name + "\"");
            }
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
        if (listeners > 1024) {
            throw new WorkerInitException("--listeners=" + listeners + " is more than 1024");
        }
        return new WorkerArguments(slot, generation, (int) (long) masterPid, (int) (long) listeners);
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
