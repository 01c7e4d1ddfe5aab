package io.masterwork.testkit.faults;

import io.masterwork.posix.Errno;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One line of a fault specification: {@code call[.qualifier]:ERRNO[:when]}, e.g. {@code sendmsg:EPIPE},
 * {@code sendmsg.fd:EAGAIN:once} (only messages carrying a descriptor: OPEN_CHANNEL), {@code kill.TERM:ESRCH:count=2},
 * {@code posix_spawn:EAGAIN:count=3}, {@code socketpair:EMFILE:every=3}, {@code recvmsg:ECONNRESET:after=5}.
 *
 * <p>{@code when}: {@code always} (the default), {@code once}, {@code count=N} (the first N matching calls),
 * {@code every=N} (the Nth, 2Nth, ...), {@code nth=N} (the Nth alone), {@code after=N} (every call after the first N). Counting starts when
 * the specification is (re)loaded.
 */
public final class FaultSpec {
    private static final Map<String, Integer> ERRNOS = new HashMap<>();

    static {
        for (int errno = 1; errno < 134; errno++) {
            String name = Errno.name(errno);
            if (name != null && name.startsWith("E")) {
                ERRNOS.put(name, errno);
            }
        }
    }

    public final String text;
    public final String call;
    public final String qualifier;
    public final int errno;
    public final String errnoName;
    private final String when;
    private final long n;
    private long matches;
    private long injected;

    private FaultSpec(String text, String call, String qualifier, int errno, String errnoName, String when, long n) {
        this.text = text;
        this.call = call;
        this.qualifier = qualifier;
        this.errno = errno;
        this.errnoName = errnoName;
        this.when = when;
        this.n = n;
    }

    /** Every fault of a specification: entries separated by newlines or ';', '#' starts a comment. */
    public static List<FaultSpec> parseAll(String specification) {
        List<FaultSpec> faults = new ArrayList<>();
        for (String line : specification.split("[\n;]")) {
            int hash = line.indexOf('#');
            String entry = (hash >= 0 ? line.substring(0, hash) : line).trim();
            if (!entry.isEmpty()) {
                faults.add(parse(entry));
            }
        }
        return faults;
    }

    public static FaultSpec parse(String entry) {
        String[] parts = entry.split(":");
        if (parts.length < 2 || parts.length > 3) {
            throw new IllegalArgumentException("fault \"" + entry + "\": expected call[.qualifier]:ERRNO[:when]");
        }
        String target = parts[0].trim();
        int dot = target.indexOf('.');
        String call = dot < 0 ? target : target.substring(0, dot);
        String qualifier = dot < 0 ? null : target.substring(dot + 1);
        String errnoName = parts[1].trim().toUpperCase(Locale.ROOT);
        Integer errno = ERRNOS.get(errnoName);
        if (errno == null) {
            throw new IllegalArgumentException("fault \"" + entry + "\": unknown errno " + errnoName);
        }
        String when = parts.length == 3 ? parts[2].trim() : "always";
        long n = 0;
        int eq = when.indexOf('=');
        if (eq >= 0) {
            n = Long.parseLong(when.substring(eq + 1).trim());
            when = when.substring(0, eq).trim();
            if (n < 1 && !when.equals("after")) {
                throw new IllegalArgumentException("fault \"" + entry + "\": " + when + " needs a positive number");
            }
        }
        if (!List.of("always", "once", "count", "every", "nth", "after").contains(when)) {
            throw new IllegalArgumentException("fault \"" + entry + "\": unknown schedule " + when);
        }
        return new FaultSpec(entry, call, qualifier, errno, errnoName, when, n);
    }

    /** Whether this call (already known to match) fails now; counts the match. */
    public synchronized boolean fires() {
        long k = ++matches;
        boolean fire = switch (when) {
            case "once" -> k == 1;
            case "count" -> k <= n;
            case "every" -> k % n == 0;
            case "nth" -> k == n;
            case "after" -> k > n;
            default -> true;
        };
        if (fire) {
            injected++;
        }
        return fire;
    }

    public synchronized long injected() {
        return injected;
    }

    public boolean matches(String callName, String callQualifier) {
        return call.equals(callName) && (qualifier == null || qualifier.equals(callQualifier));
    }
}
