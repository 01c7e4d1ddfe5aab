package io.masterwork.master.systemd;

import com.google.inject.AbstractModule;
import com.google.inject.Singleton;
import com.google.inject.multibindings.Multibinder;
import io.masterwork.master.process.MasterExtension;

/** systemd's notify protocol as a master extension; inert when the master was not started by systemd. */
public final class SystemdModule extends AbstractModule {
    @Override
    protected void configure() {
        Multibinder.newSetBinder(binder(), MasterExtension.class).addBinding().to(SystemdNotifier.class).in(Singleton.class);
    }
}
