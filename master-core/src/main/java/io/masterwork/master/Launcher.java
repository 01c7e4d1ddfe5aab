package io.masterwork.master;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The script this master was started by: {@code bin/masterwork}, or {@code bin/<name>} of a distribution built for
 * a downstream server. The script passes its name ({@code -Dmasterwork.name}) and the distribution's directory
 * ({@code -Dmasterwork.home}); the name gives the default configuration file and the commands a message suggests.
 */
public final class Launcher {
    private static final String DEFAULT_NAME = "masterwork";

    private Launcher() {
    }

    /** The script's name: {@code masterwork} unless a downstream distribution named it otherwise. */
    public static String name() {
        String name = System.getProperty("masterwork.name", DEFAULT_NAME);
        // a file name of the distribution's bin/, never a path
        return name.isEmpty() || name.contains("/") || name.startsWith(".") ? DEFAULT_NAME : name;
    }

    /** The distribution's directory, when started by its script. */
    public static Optional<Path> home() {
        String home = System.getProperty("masterwork.home", "");
        return home.isEmpty() ? Optional.empty() : Optional.of(Path.of(home));
    }

    /** The script, as a message names it: its path when known, else its name. */
    public static String command() {
        return home().map(h -> h.resolve("bin").resolve(name()).toString()).orElse(name());
    }

    /** The configuration file the script reads by default, relative to the prefix. */
    public static Path defaultConfig() {
        return Path.of("conf", name() + ".conf");
    }
}
