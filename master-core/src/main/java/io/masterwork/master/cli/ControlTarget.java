package io.masterwork.master.cli;

import io.masterwork.master.config.ConfigLoader;
import io.masterwork.master.config.ConfigurationException;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.master.pid.PidFile;

import java.nio.file.Path;
import java.util.Optional;

/**
 * Where the running master is, for the commands that talk to it ({@code status}, {@code workers N},
 * {@code -s stop|quit|reopen}): its pid file and control socket, from the configuration when it is valid, and
 * otherwise from the file's {@code pid} and {@code control_socket} alone, or their defaults (issue 28: a bad
 * {@code app {}} value or a missing jar written after the start must not keep an operator from seeing and stopping the
 * master). What is wrong with the file is said as a warning, not as a refusal.
 */
record ControlTarget(PidFile pidFile, Optional<Path> controlSocket, Path configFile) {

    static ControlTarget of(Path file, Path prefix, Console console) {
        try {
            MasterConfiguration config = ConfigLoader.load(file, prefix);
            return new ControlTarget(new PidFile(config.pidFile()), config.controlSocket(), file);
        } catch (ConfigurationException e) {
            ConfigLoader.ControlKeys keys = ConfigLoader.controlKeys(file, prefix);
            console.error("warn", e.getMessage() + " (looking for the master with pid file " + keys.pidFile()
                    + keys.controlSocket().map(s -> " and control socket " + s).orElse("") + ")");
            return new ControlTarget(new PidFile(keys.pidFile()), keys.controlSocket(), file);
        }
    }
}
