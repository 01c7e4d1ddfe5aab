package io.masterwork.master.control;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.Multibinder;
import io.masterwork.master.process.MasterExtension;

/** Adds the control socket and the master's reports to the master's extensions, with the default limits. */
public final class ControlSocketModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(ControlSocketLimits.class).toInstance(ControlSocketLimits.DEFAULTS);
        // One MasterReports for the control socket and the status page, itself an extension: it hears every exit.
        bind(MasterReports.class).in(com.google.inject.Singleton.class);
        Multibinder<MasterExtension> extensions = Multibinder.newSetBinder(binder(), MasterExtension.class);
        extensions.addBinding().to(MasterReports.class);
        extensions.addBinding().to(ControlSocket.class).in(com.google.inject.Singleton.class);
    }
}
