package io.masterwork.testkit.faults;

import io.masterwork.posix.Errno;
import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import io.masterwork.posix.Signal;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The real {@link Posix} of a real process, with chosen calls failing: the process under test is real,
 * only the injected errno is artificial. The faults come from a file ({@link FaultSpec} lines), re-read
 * whenever it changes (checked at most every 20 ms), so a test arms a fault at the moment it wants by
 * writing the file, and each re-read restarts the counting. Every injected failure is logged as
 * {@code injected fault: <call>: <ERRNO> ...} by the logger {@code masterwork.faults} (the error log).
 *
 * <p>A failure is what the real call does with that errno: {@code sendMessage}, {@code accept}, {@code read}
 * and {@code write} return -1 on EAGAIN and {@code receiveMessage} returns null, as {@link Posix} documents;
 * everything else throws the {@link PosixException} the native layer would, naming the call and the errno.
 *
 * <p>In the master: {@link FaultInjectionModule} in {@code modules.master} (file {@code <prefix>/faults/master}).
 * In a worker: {@code worker_jvm_options = ["-Dmasterwork.worker.posix=io.masterwork.testkit.faults.FaultInjectingPosix$InWorker"]}
 * (file {@code faults/worker}, relative to the worker's working directory, the prefix, or the one that
 * {@code -Dmasterwork.faults.file} names: faults present before the worker starts).
 */
public final class FaultInjectingPosix implements InvocationHandler {
    private static final Logger log = LoggerFactory.getLogger("masterwork.faults");
    private static final long RECHECK_NANOS = 20_000_000L;

    /** Java method -> the C call it makes, as PosixException names it. */
    private static final Map<String, String> CALLS = Map.ofEntries(
            Map.entry("sendMessage", "sendmsg"), Map.entry("receiveMessage", "recvmsg"),
            Map.entry("spawn", "posix_spawn"), Map.entry("socketpair", "socketpair"), Map.entry("kill", "kill"),
            Map.entry("waitpid", "waitpid"), Map.entry("pipe", "pipe2"), Map.entry("memfd", "memfd_create"),
            Map.entry("open", "open"), Map.entry("accept", "accept4"), Map.entry("read", "read"),
            Map.entry("write", "write"), Map.entry("close", "close"), Map.entry("dup", "dup"), Map.entry("dup2", "dup2"),
            Map.entry("setNonBlocking", "fcntl"), Map.entry("setAsync", "ioctl"), Map.entry("setOwner", "fcntl"),
            Map.entry("sendTo", "sendto"), Map.entry("listenTcp", "bind"), Map.entry("listenUnix", "bind"),
            Map.entry("chown", "chown"), Map.entry("chmod", "chmod"), Map.entry("peerCredentials", "getsockopt"),
            Map.entry("setuid", "setuid"), Map.entry("setgid", "setgid"), Map.entry("setgroups", "setgroups"),
            Map.entry("setScheduler", "sched_setscheduler"));

    private final Posix real;
    private final Path file;
    private volatile List<FaultSpec> faults = List.of();
    private long checkedAtNanos;
    private Object fileVersion;

    private FaultInjectingPosix(Posix real, Path file) {
        this.real = real;
        this.file = file;
        reloadIfChanged();
    }

    /** {@code real} with the faults that {@code file} names (none while it does not exist). */
    public static Posix wrap(Posix real, Path file) {
        return (Posix) Proxy.newProxyInstance(Posix.class.getClassLoader(), new Class<?>[] {Posix.class},
                new FaultInjectingPosix(real, file));
    }

    /** The worker's hook (WorkerMain, {@code -Dmasterwork.worker.posix}). */
    public static final class InWorker implements UnaryOperator<Posix> {
        @Override
        public Posix apply(Posix real) {
            String file = System.getProperty("masterwork.faults.file", "faults/worker");
            return wrap(real, Path.of(file).toAbsolutePath());
        }
    }

    @Override
    public Object invoke(Object proxy, Method method, Object[] args) throws Throwable {
        if (method.getDeclaringClass() == Object.class) {
            return switch (method.getName()) {
                case "toString" -> "FaultInjectingPosix(" + file + ")";
                case "hashCode" -> System.identityHashCode(proxy);
                case "equals" -> proxy == args[0];
                default -> throw new UnsupportedOperationException(method.getName());
            };
        }
        String call = CALLS.get(method.getName());
        if (call != null) {
            reloadIfChanged();
            for (FaultSpec fault : faults) {
                if (fault.matches(call, qualifier(method.getName(), args)) && fault.fires()) {
                    return fail(call, fault, method, args);
                }
            }
        }
        try {
            return method.invoke(real, args);
        } catch (InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /** sendmsg.fd: a message carrying a descriptor (OPEN_CHANNEL); kill.TERM: kill with that signal. */
    private static String qualifier(String method, Object[] args) {
        if (method.equals("sendMessage")) {
            return ((Integer) args[2]) >= 0 ? "fd" : "nofd";
        }
        if (method.equals("kill")) {
            return ((Signal) args[1]).name();
        }
        return null;
    }

    private Object fail(String call, FaultSpec fault, Method method, Object[] args) {
        log.warn("injected fault: {}: {} (\"{}\", {} so far){}", call, fault.errnoName, fault.text, fault.injected(),
                method.getName().equals("kill") ? " for pid " + args[0] + " " + ((Signal) args[1]).fullName() : "");
        if (fault.errno == Errno.EAGAIN) {
            switch (method.getName()) {
                case "sendMessage", "accept", "read", "write" -> {
                    return -1;
                }
                case "receiveMessage" -> {
                    return null;
                }
                default -> {
                }
            }
        }
        throw new PosixException(call, fault.errno, fault.errnoName, "injected fault (" + fault.text + ")");
    }

    private synchronized void reloadIfChanged() {
        long now = System.nanoTime();
        if (checkedAtNanos != 0 && now - checkedAtNanos < RECHECK_NANOS) {
            return;
        }
        checkedAtNanos = now;
        Object version;
        try {
            BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
            version = attributes.lastModifiedTime().toString() + "/" + attributes.size() + "/" + attributes.fileKey();
        } catch (NoSuchFileException e) {
            version = "absent";
        } catch (IOException e) {
            log.error("fault file {}: {}", file, e.toString());
            return;
        }
        if (version.equals(fileVersion)) {
            return;
        }
        fileVersion = version;
        try {
            String text = version.equals("absent") ? "" : Files.readString(file);
            faults = FaultSpec.parseAll(text);
            log.warn("fault injection: {} armed from {}: {}", faults.size(), file, text.strip().replace('\n', ';'));
        } catch (IOException | RuntimeException e) {
            log.error("fault file {}: {}", file, e.toString());
        }
    }
}
