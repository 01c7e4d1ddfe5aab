package io.masterwork.posix;

import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The process SignalRouteIT signals: re-executes itself with the master's signals blocked, then
 * prints every signal it reads from a signalfd. Exits after TERM.
 */
public final class SignalRouteMain {
    static final Set<Signal> ROUTED = EnumSet.of(Signal.HUP, Signal.INT, Signal.QUIT, Signal.TERM, Signal.USR1,
            Signal.USR2, Signal.WINCH, Signal.CHLD, Signal.TTIN, Signal.TTOU, Signal.IO);

    private SignalRouteMain() {
    }

    public static void main(String[] args) {
        Posix posix = NativePosix.get();
        if (!SignalRoute.isRouted()) {
            NativePosix nativePosix = (NativePosix) posix;
            System.out.println("BEFORE pid=" + posix.getpid() + " ignored INT=" + nativePosix.isIgnored(Signal.INT)
                    + " QUIT=" + nativePosix.isIgnored(Signal.QUIT));
            System.out.flush();
            SignalRoute.reexecWithBlockedSignals(ROUTED, List.of("-Dmasterwork.test=routed"));
            return; // not reached
        }
        System.out.println("ROUTED pid=" + posix.getpid() + " property=" + System.getProperty("masterwork.test")
                + " srsignum=" + System.getenv("_JAVA_SR_SIGNUM"));
        int fd = posix.signalFd(ROUTED);
        System.out.println("READY");
        System.out.flush();
        while (true) {
            posix.pollReadable(new int[] {fd}, 1000);
            SignalInfo info;
            while ((info = posix.readSignal(fd)) != null) {
                System.out.println("SIGNAL " + info.signal() + " from " + info.senderPid());
                System.out.flush();
                if (info.signal() == Signal.TERM) {
                    System.out.println("BYE");
                    System.out.flush();
                    System.exit(0);
                }
            }
        }
    }
}
