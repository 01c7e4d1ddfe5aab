package io.masterwork.master.process;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigOrigin;
import com.typesafe.config.ConfigUtil;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueFactory;
import io.masterwork.channel.SpawnContract;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.posix.UserInfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One generation of workers: the validated configuration they all run with, rendered once to the
 * JSON each of them reads from descriptor 5. A worker never re-reads the file, which may have
 * changed since the master validated it.
 */
public final class WorkerGeneration {
    /** The sections master-core does not know: each application's SettingsCheck owns one, checked by the workers. */
    static final List<String> APPLICATION_SECTIONS = List.of("http", "app");

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

    /** The JSON a worker of {@code config} run as {@code user} (null: as the master) reads; {@code -t}'s check too. */
    public static byte[] render(MasterConfiguration config, UserInfo user) {
        Config c = config.resolved()
                .withValue("masterwork.prefix", ConfigValueFactory.fromAnyRef(config.prefix().toAbsolutePath().toString()))
                .withValue(SpawnContract.CONFIG_FILE_KEY, ConfigValueFactory.fromAnyRef(config.configFile().toString()))
                .withValue(SpawnContract.CONFIG_ORIGINS_KEY, ConfigValueFactory.fromMap(applicationOrigins(config.resolved())));
        if (user != null) {
            c = c.withValue("masterwork.worker_uid", ConfigValueFactory.fromAnyRef(user.uid()))
                    .withValue("masterwork.worker_gid", ConfigValueFactory.fromAnyRef(user.gid()))
                    .withValue("masterwork.worker_groups", ConfigValueFactory.fromIterable(
                            Arrays.stream(user.groups()).boxed().collect(Collectors.toList())))
                    .withValue("masterwork.worker_user", ConfigValueFactory.fromAnyRef(user.name()));
        }
        return c.root().render(ConfigRenderOptions.concise()).getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The file and line of every value of the application sections, keyed by its path (ConfigUtil.joinPath): the
     * workers check those sections (the master runs no application code) and report a mistake where it was written,
     * which the JSON alone cannot tell them. Values without a file (defaults) are left out.
     */
    static Map<String, Object> applicationOrigins(Config resolved) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (String section : APPLICATION_SECTIONS) {
            ConfigValue value = resolved.root().get(section);
            if (value != null) {
                collectOrigins(value, List.of(section), out);
            }
        }
        return out;
    }

    private static void collectOrigins(ConfigValue value, List<String> path, Map<String, Object> out) {
        ConfigOrigin origin = value.origin();
        if (origin != null && origin.filename() != null) {
            Map<String, Object> where = new LinkedHashMap<>();
            where.put("file", origin.filename());
            where.put("line", origin.lineNumber());
            out.put(ConfigUtil.joinPath(path), where);
        }
        if (value instanceof ConfigObject object) {
            for (Map.Entry<String, ConfigValue> e : object.entrySet()) {
                List<String> childPath = new ArrayList<>(path);
                childPath.add(e.getKey());
                collectOrigins(e.getValue(), childPath, out);
            }
        }
    }
}
