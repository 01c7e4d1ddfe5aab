package io.masterwork.posix;

/** The Linux signals masterwork names, with their numbers on x86_64. */
public enum Signal {
    HUP(1), INT(2), QUIT(3), ILL(4), TRAP(5), ABRT(6), BUS(7), FPE(8), KILL(9), USR1(10), SEGV(11),
    USR2(12), PIPE(13), ALRM(14), TERM(15), CHLD(17), CONT(18), STOP(19), TSTP(20), TTIN(21), TTOU(22),
    XCPU(24), XFSZ(25), WINCH(28), IO(29), SYS(31);

    public final int number;

    Signal(int number) {
        this.number = number;
    }

    /** The signal with that number, or null. */
    public static Signal of(int number) {
        for (Signal s : values()) {
            if (s.number == number) {
                return s;
            }
        }
        return null;
    }

    /** "SIGHUP" style name. */
    public String fullName() {
        return "SIG" + name();
    }
}
