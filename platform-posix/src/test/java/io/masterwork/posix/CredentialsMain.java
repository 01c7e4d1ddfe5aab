package io.masterwork.posix;

import java.nio.file.Files;
import java.nio.file.Path;

/** Drops root to the user named in args[0] the way a master drops privileges for its workers. */
public final class CredentialsMain {
    private CredentialsMain() {
    }

    public static void main(String[] args) throws Exception {
        Posix posix = NativePosix.get();
        UserInfo user = posix.lookupUser(args[0]);
        posix.setgroups(user.groups());
        posix.setgid(user.gid());
        posix.setuid(user.uid());
        System.out.println("ids " + posix.getuid() + " " + posix.geteuid() + " " + posix.getgid()
                + " groups " + java.util.Arrays.toString(posix.getgroups()));
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("Uid:") || line.startsWith("Gid:") || line.startsWith("Groups:")) {
                System.out.println(line);
            }
        }
        try {
            posix.setuid(0);
            System.out.println("REGAINED ROOT");
        } catch (PosixException e) {
            System.out.println("setuid(0) refused: " + e.errnoName());
        }
    }
}
