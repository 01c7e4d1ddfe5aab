package io.masterwork.posix;

import java.util.EnumSet;
import java.util.Set;

import jnr.ffi.Pointer;

/** Signal masks, dispositions and signalfd. sigset_t is 128 bytes; signal n is bit n-1 of its first word. */
final class SignalSupport {
    private static final int SIGSET_BYTES = 128;
    /** struct sigaction of glibc on x86_64: handler, 128-byte mask, flags, restorer = 152 bytes. */
    private static final int SIGACTION_BYTES = 256;
    private static final int SIG_BLOCK = 0;
    private static final int SIG_UNBLOCK = 1;
    private static final int SFD_NONBLOCK = 04000;
    private static final int SFD_CLOEXEC = 02000000;
    /** sizeof(struct signalfd_siginfo). */
    private static final int SIGINFO_BYTES = 128;

    private final Native nat;

    SignalSupport(Native nat) {
        this.nat = nat;
    }

    static long mask(Set<Signal> signals) {
        long mask = 0;
        for (Signal s : signals) {
            mask |= 1L << (s.number - 1);
        }
        return mask;
    }

    Pointer sigset(long mask) {
        Pointer set = nat.allocate(SIGSET_BYTES);
        set.putLong(0, mask);
        return set;
    }

    void block(Set<Signal> signals) {
        changeMask(SIG_BLOCK, signals);
    }

    void unblock(Set<Signal> signals) {
        changeMask(SIG_UNBLOCK, signals);
    }

    private void changeMask(int how, Set<Signal> signals) {
        int result = nat.libc.pthread_sigmask(how, sigset(mask(signals)), null);
        if (result != 0) {
            throw nat.failure("pthread_sigmask", result, (how == SIG_BLOCK ? "block " : "unblock ") + signals);
        }
    }

    Set<Signal> blocked() {
        Pointer old = nat.allocate(SIGSET_BYTES);
        int result = nat.libc.pthread_sigmask(SIG_BLOCK, null, old);
        if (result != 0) {
            throw nat.failure("pthread_sigmask", result, "query");
        }
        long mask = old.getLong(0);
        Set<Signal> set = EnumSet.noneOf(Signal.class);
        for (Signal s : Signal.values()) {
            if ((mask & (1L << (s.number - 1))) != 0) {
                set.add(s);
            }
        }
        return set;
    }

    void resetDispositions(Set<Signal> signals) {
        for (Signal s : signals) {
            if (s == Signal.KILL || s == Signal.STOP) {
                continue;
            }
            Pointer action = nat.allocate(SIGACTION_BYTES); // zero: SIG_DFL, empty mask, no flags
            if (nat.libc.sigaction(s.number, action, null) < 0) {
                throw nat.failure("sigaction", s.fullName() + " to SIG_DFL");
            }
        }
    }

    /** Whether the signal's disposition is SIG_IGN in this process. */
    boolean isIgnored(Signal s) {
        Pointer old = nat.allocate(SIGACTION_BYTES);
        if (nat.libc.sigaction(s.number, null, old) < 0) {
            throw nat.failure("sigaction", "query " + s.fullName());
        }
        return old.getAddress(0) == 1L; // SIG_IGN
    }

    int signalFd(Set<Signal> signals) {
        if (signals.isEmpty()) {
            throw new IllegalArgumentException("signalfd: empty signal set");
        }
        int fd = nat.libc.signalfd(-1, sigset(mask(signals)), SFD_NONBLOCK | SFD_CLOEXEC);
        if (fd < 0) {
            throw nat.failure("signalfd", signals.toString());
        }
        return fd;
    }

    SignalInfo read(int signalFd) {
        Pointer info = nat.scratch().fixed;
        while (true) {
            long n = nat.libc.read(signalFd, info, SIGINFO_BYTES);
            if (n == SIGINFO_BYTES) {
                int number = info.getInt(0);
                return new SignalInfo(Signal.of(number), number, info.getInt(12), info.getInt(16));
            }
            if (n >= 0) {
                throw new IllegalStateException("signalfd " + signalFd + " returned " + n + " bytes, expected " + SIGINFO_BYTES);
            }
            int errno = nat.errno();
            if (errno == Errno.EINTR) {
                continue;
            }
            if (errno == Errno.EAGAIN) {
                return null;
            }
            throw nat.failure("read", errno, "signalfd " + signalFd);
        }
    }
}
