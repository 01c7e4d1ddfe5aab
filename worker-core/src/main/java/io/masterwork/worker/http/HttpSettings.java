package io.masterwork.worker.http;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueType;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;

/**
 * The built-in application's settings, the {@code http { }} section, nginx's names and defaults
 * where nginx has them. Built from a section the master already checked with
 * {@link HttpSettingsCheck}; {@link #from} checks again, so a worker started by hand fails as clearly.
 */
public record HttpSettings(
        byte[] body,
        Duration keepaliveTimeout,
        int keepaliveRequests,
        int workerConnections,
        Duration clientHeaderTimeout,
        int clientMaxHeaderSize,
        Duration sendTimeout,
        long maxBytes,
        String accessLog,
        Duration websocketReadTimeout,
        Duration websocketSendTimeout) {

    public static final String SECTION = "http";

    static final Config DEFAULTS = ConfigFactory.parseString(String.join("\n",
            "body = \"Hello from masterwork\\n\"",
            "keepalive_timeout = 75s",
            "keepalive_requests = 1000",
            "worker_connections = 1024",
            "client_header_timeout = 60s",
            "client_max_header_size = 8k",
            "send_timeout = 60s",
            "max_bytes = 1g",
            "access_log = logs/access.log",
            "websocket_read_timeout = 60s",
            "websocket_send_timeout = 60s"), com.typesafe.config.ConfigParseOptions.defaults()
            .setOriginDescription("built-in http defaults"));

    private static final Set<String> KEYS = DEFAULTS.root().keySet();

    /** The value of {@code access_log} that turns it off, as nginx's {@code access_log off}. */
    public static final String OFF = "off";

    /** Checks {@code section} (defaults merged under it) and builds the settings; ConfigException names the key. */
    public static HttpSettings from(Config section) {
        Config http = section.withFallback(DEFAULTS);
        for (String key : section.root().keySet()) {
            if (!KEYS.contains(key)) {
                throw new ConfigException.BadValue(section.root().get(key).origin(), SECTION + "." + key,
                        "unknown key (known: " + String.join(", ", new java.util.TreeSet<>(KEYS)) + ")");
            }
        }
        String body = http.getString("body");
        Duration keepaliveTimeout = duration(http, "keepalive_timeout", false);
        int keepaliveRequests = intAtLeast(http, "keepalive_requests", 0);
        int workerConnections = intAtLeast(http, "worker_connections", 1);
        Duration clientHeaderTimeout = duration(http, "client_header_timeout", true);
        long headerSize = bytes(http, "client_max_header_size");
        if (headerSize < 256 || headerSize > 1024 * 1024) {
            throw bad(http, "client_max_header_size", "must be between 256 bytes and 1m, got " + headerSize);
        }
        Duration sendTimeout = duration(http, "send_timeout", true);
        long maxBytes = bytes(http, "max_bytes");
        String accessLog = http.getString("access_log").trim();
        if (accessLog.isEmpty()) {
            throw bad(http, "access_log", "must be a path or \"off\"");
        }
        // nginx's proxy_read_timeout and proxy_send_timeout, as a proxied WebSocket gets them there (60 s each).
        Duration websocketReadTimeout = duration(http, "websocket_read_timeout", true);
        Duration websocketSendTimeout = duration(http, "websocket_send_timeout", true);
        return new HttpSettings(body.getBytes(StandardCharsets.UTF_8), keepaliveTimeout, keepaliveRequests,
                workerConnections, clientHeaderTimeout, (int) headerSize, sendTimeout, maxBytes, accessLog,
                websocketReadTimeout, websocketSendTimeout);
    }

    public boolean accessLogOff() {
        return OFF.equals(accessLog);
    }

    private static ConfigException bad(Config http, String key, String why) {
        return new ConfigException.BadValue(http.getValue(key).origin(), SECTION + "." + key, why);
    }

    /** nginx reads a bare number as seconds; Typesafe Config would read milliseconds. */
    private static Duration duration(Config http, String key, boolean positive) {
        Duration d;
        try {
            if (http.getValue(key).valueType() == ConfigValueType.NUMBER) {
                d = Duration.ofMillis(Math.round(http.getDouble(key) * 1000));
            } else {
                d = http.getDuration(key);
            }
        } catch (ConfigException e) {
            throw bad(http, key, "not a duration (like 75s, 500ms, 1m): " + e.getMessage());
        }
        if (d.isNegative() || (positive && d.isZero())) {
            throw bad(http, key, "must be " + (positive ? "positive" : "zero or positive") + ", got " + d);
        }
        return d;
    }

    private static int intAtLeast(Config http, String key, int min) {
        int value;
        try {
            value = http.getInt(key);
        } catch (ConfigException e) {
            throw bad(http, key, "not a whole number: " + e.getMessage());
        }
        if (value < min) {
            throw bad(http, key, "must be at least " + min + ", got " + value);
        }
        return value;
    }

    private static long bytes(Config http, String key) {
        long value;
        try {
            value = http.getBytes(key);
        } catch (ConfigException e) {
            throw bad(http, key, "not a size (like 8k, 1m, 1g or a number of bytes): " + e.getMessage());
        }
        if (value < 0) {
            throw bad(http, key, "must not be negative, got " + value);
        }
        return value;
    }
}
