package io.masterwork.posix;

import jnr.posix.Group;
import jnr.posix.POSIX;
import jnr.posix.POSIXFactory;
import jnr.posix.Passwd;

/**
 * The password and group databases through jnr-posix (NSS-aware getpwnam/getgrnam). This class is
 * the only one that touches jnr-posix, and it is loaded on the first lookup only: a worker that
 * never looks a user up never pays the ~110 ms jnr-posix costs at start-up.
 */
final class UserDatabase {
    private static final POSIX POSIX = POSIXFactory.getNativePOSIX();

    private UserDatabase() {
    }

    static UserInfo lookupUser(String name, ProcessSupport processes) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty user name");
        }
        Passwd entry = POSIX.getpwnam(name);
        if (entry == null) {
            return null;
        }
        int uid = (int) entry.getUID();
        int gid = (int) entry.getGID();
        return new UserInfo(entry.getLoginName(), uid, gid, entry.getHome(), processes.groupList(entry.getLoginName(), gid));
    }

    static GroupInfo lookupGroup(String name) {
        if (name == null || name.isEmpty()) {
            throw new IllegalArgumentException("empty group name");
        }
        Group entry = POSIX.getgrnam(name);
        if (entry == null) {
            return null;
        }
        return new GroupInfo(entry.getName(), (int) entry.getGID());
    }
}
