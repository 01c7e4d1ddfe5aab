package io.masterwork.master.process;

import io.masterwork.posix.Posix;
import io.masterwork.posix.PosixException;
import java.net.InetSocketAddress;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an old master hands a new one on a binary upgrade, through the environment as nginx's
 * {@code NGINX} variable does: the listening descriptors (and nothing else) and who the old master is.
 *
 * <pre>
 * MASTERWORK_LISTENERS=3 127.0.0.1:8080;4 [::1]:8080     descriptor, space, the address it is bound to
 * MASTERWORK_UPGRADE=protocol=1 pid=1234 version=0.1.0 generation=3 channel=5
 * </pre>
 *
 * A new master that does not speak the old one's protocol refuses to start, and the old one rolls back. {@code channel}
 * is optional within protocol 1 (a reader ignores keys it does not know): the descriptor of the {@link UpgradeChannel}
 * over which the two masters name their workers to each other; -1 when the old master gave none.
 */
public record UpgradeHandover(int protocol, int oldPid, String oldVersion, long oldGeneration, int channelFd) {
    public static final String ENV_LISTENERS = "MASTERWORK_LISTENERS";
    public static final String ENV_UPGRADE = "MASTERWORK_UPGRADE";
    /** The extensions' sockets (the status page's), {@code name fd;name fd}: see {@link MasterExtension#upgradeSockets}. */
    public static final String ENV_EXTENSION_SOCKETS = "MASTERWORK_EXTENSION_SOCKETS";
    /** The version of this hand-over; a new master accepts only what it knows. */
    public static final int PROTOCOL = 1;

    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    /** The hand-over this process was started with, if it was started by an old master. */
    public static Optional<UpgradeHandover> fromEnvironment(Map<String, String> env) {
        String value = env.get(ENV_UPGRADE);
        if (value == null) {
            return Optional.empty();
        }
        Map<String, String> fields = new LinkedHashMap<>();
        for (String part : value.trim().split("\\s+")) {
            int eq = part.indexOf('=');
            if (eq > 0) {
                fields.put(part.substring(0, eq), part.substring(eq + 1));
            }
        }
        try {
            return Optional.of(new UpgradeHandover(Integer.parseInt(fields.getOrDefault("protocol", "0")),
                    Integer.parseInt(fields.getOrDefault("pid", "0")), fields.getOrDefault("version", "unknown"),
                    Long.parseLong(fields.getOrDefault("generation", "0")),
                    Integer.parseInt(fields.getOrDefault("channel", "-1"))));
        } catch (NumberFormatException e) {
            throw new IllegalStateException(ENV_UPGRADE + "=\"" + value + "\" is malformed", e);
        }
    }

    /**
     * The hand-over this process was really started with: {@link #ENV_UPGRADE} names an old master of this
     * hand-over's protocol, and that master is this process's parent (it spawned this one on USR2; a new master never
     * daemonizes). Anything else — the variables set by hand, inherited from a shell, or left over — is logged and
     * ignored: a master adopts listening sockets only from its old master, never from whoever set an environment.
     */
    static Optional<UpgradeHandover> genuine(Posix posix, Map<String, String> env) {
        boolean listeners = env.containsKey(ENV_LISTENERS);
        Optional<UpgradeHandover> claimed;
        try {
            claimed = fromEnvironment(env);
        } catch (IllegalStateException e) {
            log.error("{}; {} ignored", e.getMessage(), listeners ? ENV_LISTENERS + " and it" : "it");
            return Optional.empty();
        }
        if (claimed.isEmpty()) {
            if (listeners) {
                log.error("{} ignored: there is no {} (no old master handed over to this one)", ENV_LISTENERS, ENV_UPGRADE);
            }
            return Optional.empty();
        }
        int parent = posix.getppid();
        if (claimed.get().oldPid() <= 1 || claimed.get().oldPid() != parent) {
            log.error("{} ignored: it names the old master {}, but this master's parent is process {}", 
                    listeners ? ENV_UPGRADE + " and " + ENV_LISTENERS : ENV_UPGRADE, claimed.get().oldPid(), parent);
            return Optional.empty();
        }
        return claimed;
    }

    String environmentValue() {
        return "protocol=" + protocol + " pid=" + oldPid + " version=" + oldVersion + " generation=" + oldGeneration
                + (channelFd >= 0 ? " channel=" + channelFd : "");
    }

    static String listenersValue(List<InetSocketAddress> addresses, int firstFd) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < addresses.size(); i++) {
            InetSocketAddress a = addresses.get(i);
            String host = a.getAddress().getHostAddress();
            sb.append(i == 0 ? "" : ";").append(firstFd + i).append(' ')
                    .append(host.contains(":") ? "[" + host + "]" : host).append(':').append(a.getPort());
        }
        return sb.toString();
    }

    /**
     * The socket an old master handed over for the extension socket {@code name} (see
     * {@link MasterExtension#upgradeSockets}), or -1 when there is none: a descriptor number, not yet checked. Only
     * from a {@link #genuine} hand-over, as the listeners: a number set by anyone else would make the master adopt,
     * or close, a descriptor of its own.
     */
    public static int inheritedSocket(Posix posix, Map<String, String> env, String name) {
        String value = env.get(ENV_EXTENSION_SOCKETS);
        if (value == null || value.isBlank()) {
            return -1;
        }
        if (genuine(posix, env).isEmpty()) {
            log.error("{} ignored: this master was not started by an old master's upgrade", ENV_EXTENSION_SOCKETS);
            return -1;
        }
        for (String entry : value.split(";")) {
            String[] parts = entry.trim().split(" ");
            if (parts.length == 2 && parts[0].equals(name)) {
                try {
                    return Integer.parseInt(parts[1]);
                } catch (NumberFormatException e) {
                    log.error("{}: \"{}\" does not name a descriptor; ignored", ENV_EXTENSION_SOCKETS, entry);
                }
            }
        }
        return -1;
    }

    /**
     * The listening sockets an old master handed over, by the address each is really bound to; close-on-exec now.
     * Only from a {@link #genuine} hand-over.
     */
    static Map<InetSocketAddress, Integer> listeners(Posix posix, Map<String, String> env) {
        Map<InetSocketAddress, Integer> out = new LinkedHashMap<>();
        if (genuine(posix, env).isEmpty()) {
            return out;
        }
        String value = env.get(ENV_LISTENERS);
        if (value == null || value.isBlank()) {
            return out;
        }
        for (String entry : value.split(";")) {
            String[] parts = entry.trim().split(" ", 2);
            int fd;
            try {
                fd = Integer.parseInt(parts[0]);
            } catch (NumberFormatException e) {
                log.error("{}: \"{}\" does not start with a descriptor number; ignored", ENV_LISTENERS, entry);
                continue;
            }
            try {
                InetSocketAddress bound = posix.localAddress(fd);
                posix.setCloseOnExec(fd, true);
                out.put(bound, fd);
                log.info("inherited the listening socket for {} (fd {}) from the old master", bound, fd);
            } catch (PosixException e) {
                log.error("{}: fd {} is not a listening socket ({}); ignored", ENV_LISTENERS, fd, e.getMessage());
            }
        }
        return out;
    }
}
