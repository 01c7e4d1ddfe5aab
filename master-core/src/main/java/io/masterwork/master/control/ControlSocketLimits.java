package io.masterwork.master.control;

import java.time.Duration;

/**
 * How much a control client may take from the master. The defaults are what an operator gets; a test
 * replaces them through {@code modules.master} (ControlSocketModule binds this record).
 *
 * @param mode           permission bits of the socket file
 * @param maxClients     clients connected at once; the next one is refused with an error line
 * @param maxLineBytes   a longer command line ends the connection
 * @param readTimeout    a client that sends no complete command for this long is closed (not while its reload runs)
 * @param writeTimeout   a client that leaves an answer unread for this long is closed
 * @param maxQueuedBytes answer bytes kept for a client whose socket is full; more closes it
 */
public record ControlSocketLimits(int mode, int maxClients, int maxLineBytes, Duration readTimeout,
                                  Duration writeTimeout, int maxQueuedBytes) {
    public static final ControlSocketLimits DEFAULTS = new ControlSocketLimits(0600, 16,
            ControlProtocol.MAX_LINE_BYTES, Duration.ofSeconds(10), Duration.ofSeconds(10), 1 << 20);

    public ControlSocketLimits withMode(int newMode) {
        return new ControlSocketLimits(newMode, maxClients, maxLineBytes, readTimeout, writeTimeout, maxQueuedBytes);
    }
}
