package io.masterwork.it;

import com.google.inject.AbstractModule;
import io.masterwork.master.control.ControlSocketLimits;
import java.time.Duration;

/**
 * For ControlSocketIT, named in modules.master: the control socket's limits as an operator gets them, but a client
 * that sends no complete command is closed after {@value #READ_TIMEOUT_SECONDS} s instead of 10 s, so that the
 * tests of stalled clients wait that long rather than the default's 10 s twice.
 */
public final class QuickControlTimeoutModule extends AbstractModule {
    static final int READ_TIMEOUT_SECONDS = 4;

    @Override
    protected void configure() {
        ControlSocketLimits d = ControlSocketLimits.DEFAULTS;
        bind(ControlSocketLimits.class).toInstance(new ControlSocketLimits(d.mode(), d.maxClients(), d.maxLineBytes(),
                Duration.ofSeconds(READ_TIMEOUT_SECONDS), d.writeTimeout(), d.maxQueuedBytes()));
    }
}
