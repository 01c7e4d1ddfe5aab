package io.masterwork.master.process;

import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.posix.GroupInfo;
import io.masterwork.posix.Posix;
import io.masterwork.posix.UserInfo;
import java.util.Arrays;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Who the workers run as: nginx's {@code user} directive, resolved by the master (the worker only calls setgid,
 * setgroups, setuid with the numbers it is given).
 */
final class WorkerUser {
    private static final Logger log = LoggerFactory.getLogger("masterwork.master");

    private WorkerUser() {
    }

    /** The configured user (and group) when the master runs as root; null when the workers run as the master. */
    static UserInfo resolve(Posix posix, MasterConfiguration config) {
        if (config.user().isEmpty() || posix.geteuid() != 0) {
            if (config.user().isPresent()) {
                log.warn("the \"user\" directive makes sense only if the master process runs as root; ignored");
            }
            return null;
        }
        String name = config.user().get();
        UserInfo user = posix.lookupUser(name);
        if (user == null) {
            throw new IllegalStateException("user \"" + name + "\" does not exist");
        }
        if (config.group().isPresent()) {
            GroupInfo group = posix.lookupGroup(config.group().get());
            if (group == null) {
                throw new IllegalStateException("group \"" + config.group().get() + "\" does not exist");
            }
            user = new UserInfo(user.name(), user.uid(), group.gid(), user.home(), withPrimary(group.gid(), user.groups()));
        }
        return user;
    }

    private static int[] withPrimary(int gid, int[] groups) {
        int[] out = new int[groups.length + 1];
        out[0] = gid;
        System.arraycopy(groups, 0, out, 1, groups.length);
        return Arrays.stream(out).distinct().toArray();
    }
}
