package io.masterwork.master.config;

import com.typesafe.config.ConfigOrigin;

import java.nio.file.Path;

/**
 * A configuration that cannot be used: the message names the file, the line and the key, in the
 * compiler-like form {@code /srv/conf/masterwork.conf:12: worker_priority: must be between -20 and 19, got 25},
 * so that an operator (and {@code masterwork -t}) can go straight to the mistake.
 */
public final class ConfigurationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final String file;
    private final int line;
    private final String key;
    private final String problem;

    public ConfigurationException(String file, int line, String key, String problem) {
        this(file, line, key, problem, null);
    }

    public ConfigurationException(String file, int line, String key, String problem, Throwable cause) {
        super(format(file, line, key, problem), cause);
        this.file = file;
        this.line = line;
        this.key = key;
        this.problem = problem;
    }

    /** An error about the value found at {@code origin}; falls back to the configuration file when the origin has none. */
    static ConfigurationException at(ConfigOrigin origin, Path configFile, String key, String problem) {
        return at(origin, configFile, key, problem, null);
    }

    static ConfigurationException at(ConfigOrigin origin, Path configFile, String key, String problem, Throwable cause) {
        String file = origin != null && origin.filename() != null ? origin.filename() : configFile.toString();
        int line = origin != null ? origin.lineNumber() : -1;
        return new ConfigurationException(file, line, key, problem, cause);
    }

    private static String format(String file, int line, String key, String problem) {
        StringBuilder sb = new StringBuilder(file);
        if (line > 0) {
            sb.append(':').append(line);
        }
        sb.append(": ");
        if (key != null && !key.isEmpty()) {
            sb.append(abbreviated(key)).append(": ");
        }
        return sb.append(abbreviated(problem)).toString();
    }

    /** Bounded: a file can hold a megabyte-long key, and the message travels in a log line and a control answer. */
    static String abbreviated(String text) {
        int max = 400;
        if (text == null || text.length() <= max) {
            return text;
        }
        return text.substring(0, max) + "… (" + text.length() + " characters)";
    }

    /** The configuration file (or included file) holding the mistake. */
    public String file() {
        return file;
    }

    /** 1-based line, or -1 when the mistake has no line (a missing file). */
    public int line() {
        return line;
    }

    /** The key path, e.g. {@code worker_priority} or {@code http.keepalive_timeout}; null when none applies. */
    public String key() {
        return key;
    }

    /** What is wrong, without the location. */
    public String problem() {
        return problem;
    }
}
