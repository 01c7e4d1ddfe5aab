package io.masterwork.master.status;

import com.google.inject.AbstractModule;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import io.masterwork.master.process.MasterExtension;

/** Adds the status page ({@code status_listen}) to the master's extensions, with the default limits. */
public final class StatusModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(StatusLimits.class).toInstance(StatusLimits.DEFAULTS);
        Multibinder.newSetBinder(binder(), MasterExtension.class).addBinding().to(StatusServer.class).in(Singleton.class);
    }
}
