package io.masterwork.master.process;

import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.posix.GroupInfo;
import io.masterwork.posix.Posix;
import io.masterwork.posix.UserInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who the workers run as, by nginx's rules: only a root master changes its workers' credentials; {@code user u g}
 * names both, {@code user u} means the group named u, and with no {@code user} at all a root master falls back
 * to {@code nobody nogroup} (nginx's built-in NGX_USER/NGX_GROUP) — workers never run as root unless
 * {@code user = root} is written, which is logged loudly every time. The supplementary groups are initgroups'
 * (the groups that list u as a member, plus g), not u's passwd group: {@code user "u g"} gives exactly g.
 */
public final class WorkerUser {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");
    static final String DEFAULT_USER = "nobody";
    static final String DEFAULT_GROUP = "nogroup";

    private WorkerUser() {
    }

    /**
     * The credentials workers switch to, or null when they keep the master's (the master is not root, or
     * {@code user = root}). Throws IllegalStateException naming the user or group that does not exist.
     */
    public static UserInfo resolve(Posix posix, MasterConfiguration config) {
        if (posix.geteuid() != 0) {
            if (config.user().isPresent()) {
                log.warn("the \"user\" directive makes sense only if the master process runs as root; ignored");
            }
            return null;
        }
        boolean written = config.user().isPresent();
        String name = config.user().orElse(DEFAULT_USER);
        UserInfo user = posix.lookupUser(name);
        if (user == null) {
            throw new IllegalStateException("user \"" + name + "\" does not exist"
                    + (written ? "" : " (workers of a root master run as \"nobody nogroup\" unless \"user\" names another)"));
        }
        String groupName = written ? config.group().orElse(name) : DEFAULT_GROUP;
        GroupInfo group = posix.lookupGroup(groupName);
        if (group == null) {
            if (!written) {
                throw new IllegalStateException("group \"" + DEFAULT_GROUP + "\" does not exist: workers of a root master"
                        + " run as \"nobody nogroup\" unless \"user\" names another user and group");
            }
            throw new IllegalStateException(config.group().isPresent()
                    ? "group \"" + groupName + "\" does not exist"
                    : "user \"" + name + "\": there is no group named \"" + name + "\" (as in nginx, \"user " + name
                    + "\" alone means the group of that name); write \"user " + name + " <group>\"");
        }
        if (user.uid() == 0) {
            log.warn("user = {}: workers run as root, and so does every application they load; a compromised"
                    + " worker owns the machine", name);
            return null;
        }
        if (!written) {
            log.info("workers run as {} {} (the default of a root master without \"user\")", DEFAULT_USER, DEFAULT_GROUP);
        }
        return new UserInfo(user.name(), user.uid(), group.gid(), user.home(), posix.groupList(user.name(), group.gid()));
    }

    /**
     * What a start or a reload does before it spawns workers: {@link #resolve}, then check that the worker user can
     * read everything a worker JVM opens ({@link WorkerReadableFiles}), and set no_new_privs when the workers change
     * credentials (it is per thread and inherited through posix_spawn by every thread of every worker JVM, which
     * starts threads before a worker's init could set it; a root master gains nothing by execve anyway).
     */
    static UserInfo prepareForWorkers(Posix posix, MasterConfiguration config) {
        UserInfo user = resolve(posix, config);
        WorkerReadableFiles.check(user, config);
        if (user != null) {
            posix.setNoNewPrivileges();
        }
        return user;
    }
}
