package io.masterwork.master.status;

import java.time.Duration;

/**
 * How much an HTTP client of the status page may take from the master. The defaults are what an operator gets; a
 * test replaces them through {@code modules.master} (StatusModule binds this record).
 *
 * @param maxClients     connections served at once; the next one is answered 503 and closed
 * @param maxHeadBytes   a longer request head is answered 431 and closed
 * @param readTimeout    a client that has not sent its whole request head by then is closed
 * @param writeTimeout   a client that leaves its answer unread for this long is closed
 */
public record StatusLimits(int maxClients, int maxHeadBytes, Duration readTimeout, Duration writeTimeout) {
    public static final StatusLimits DEFAULTS = new StatusLimits(32, 8192, Duration.ofSeconds(10), Duration.ofSeconds(10));

    public StatusLimits {
        if (maxClients < 1 || maxHeadBytes < 64 || readTimeout.isNegative() || readTimeout.isZero()
                || writeTimeout.isNegative() || writeTimeout.isZero()) {
            throw new IllegalArgumentException("status limits out of range: " + maxClients + " clients, "
                    + maxHeadBytes + " head bytes, " + readTimeout + ", " + writeTimeout);
        }
    }
}
