package io.masterwork.master.process;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.Multibinder;

/**
 * The master's process layer. A test replaces a piece of it by naming an overriding module in
 * {@code modules.master} (for example a MasterLogFiles that fails).
 */
public final class MasterProcessModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(MasterLogFiles.class);
        bind(MasterProcessCycle.class);
        // A test binds a smaller table (the process table's size is what a reload's capacity check is about).
        bind(ProcessTable.class).toInstance(new ProcessTable());
        bind(InheritedListeners.class).to(InheritedListenerSources.class);
        // Extensions (control socket, systemd) add themselves to this set from their own modules.
        Multibinder.newSetBinder(binder(), MasterExtension.class);
    }
}
