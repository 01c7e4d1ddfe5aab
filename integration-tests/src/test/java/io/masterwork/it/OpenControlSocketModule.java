package io.masterwork.it;

import com.google.inject.AbstractModule;
import io.masterwork.master.control.ControlSocketLimits;

/**
 * For ControlSocketIT, named in modules.master: the control socket file with mode 0666, so that a client of
 * another uid gets as far as connecting and the master's own SO_PEERCRED check is what refuses it.
 */
public final class OpenControlSocketModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(ControlSocketLimits.class).toInstance(ControlSocketLimits.DEFAULTS.withMode(0666));
    }
}
