package io.masterwork.master.process;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValueFactory;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.posix.UserInfo;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/**
 * One generation of workers: the validated configuration they all run with, rendered once to the
 * JSON each of them reads from descriptor 5. A worker never re-reads the file, which may have
 * changed since the master validated it.
 */
public final class WorkerGeneration {
    final long number;
    final MasterConfiguration config;
    final byte[] configJson;
    /** The listening descriptors in the order of this configuration's {@code listen}: worker fds 6, 7, ... */
    final List<Integer> listenerFds;
    /** Who the workers run as (null: as the master); the log files are handed to this user. */
    final UserInfo workerUser;

    WorkerGeneration(long number, MasterConfiguration config, UserInfo workerUser, List<Integer> listenerFds) {
        this.number = number;
        this.config = config;
        this.configJson = render(config, workerUser);
        this.listenerFds = List.copyOf(listenerFds);
        this.workerUser = workerUser;
    }

    public long number() {
        return number;
    }

    private static byte[] render(MasterConfiguration config, UserInfo user) {
        Config c = config.resolved()
                .withValue("masterwork.prefix", ConfigValueFactory.fromAnyRef(config.prefix().toAbsolutePath().toString()));
        if (user != null) {
            c = c.withValue("masterwork.worker_uid", ConfigValueFactory.fromAnyRef(user.uid()))
                    .withValue("masterwork.worker_gid", ConfigValueFactory.fromAnyRef(user.gid()))
                    .withValue("masterwork.worker_groups", ConfigValueFactory.fromIterable(
                            Arrays.stream(user.groups()).boxed().collect(Collectors.toList())))
                    .withValue("masterwork.worker_user", ConfigValueFactory.fromAnyRef(user.name()));
        }
        return c.root().render(ConfigRenderOptions.concise()).getBytes(StandardCharsets.UTF_8);
    }
}
