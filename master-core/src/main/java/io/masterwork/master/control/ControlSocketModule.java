package io.masterwork.master.control;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.Multibinder;
import io.masterwork.master.process.MasterExtension;

/** Adds the control socket to the master's extensions, with the default limits. */
public final class ControlSocketModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(ControlSocketLimits.class).toInstance(ControlSocketLimits.DEFAULTS);
        Multibinder.newSetBinder(binder(), MasterExtension.class).addBinding().to(ControlSocket.class).in(com.google.inject.Singleton.class);
    }
}
