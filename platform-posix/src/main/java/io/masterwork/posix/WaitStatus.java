package io.masterwork.posix;

/**
 * A decoded waitpid status. Exactly one of {@link #exited()} and {@link #signaled()} holds.
 * A JVM killed by TERM with its shutdown hooks exits 143 (128+15), which is an exit, not a signal.
 */
public record WaitStatus(int pid, int raw) {

    public boolean exited() {
        return (raw & 0x7f) == 0;
    }

    public int exitCode() {
        return (raw >> 8) & 0xff;
    }

    public boolean signaled() {
        return (raw & 0x7f) != 0 && (raw & 0x7f) != 0x7f;
    }

    public int termSignal() {
        return raw & 0x7f;
    }

    public boolean coreDumped() {
        return signaled() && (raw & 0x80) != 0;
    }

    @Override
    public String toString() {
        if (exited()) {
            return "exited with code " + exitCode();
        }
        Signal s = Signal.of(termSignal());
        return "killed by signal " + termSignal() + (s == null ? "" : " (" + s.fullName() + ")")
                + (coreDumped() ? " (core dumped)" : "");
    }
}
