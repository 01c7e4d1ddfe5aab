package io.masterwork.it.faults;

import com.google.inject.AbstractModule;
import com.google.inject.multibindings.Multibinder;
import io.masterwork.master.process.MasterControl;
import io.masterwork.master.process.MasterExtension;

/**
 * Named in {@code modules.master}: a master extension that goes wrong the ways a plug-in can. When a reload starts it
 * throws an Error (a class it needs is missing, NoClassDefFoundError); once the reload has completed it hands the
 * master loop a descriptor that is not open (the loop's poll then reports POLLNVAL).
 */
public final class FailingExtensionModule extends AbstractModule {
    /** Far above anything the master opens, so never open. */
    static final int NOT_OPEN = 4000;

    @Override
    protected void configure() {
        Multibinder.newSetBinder(binder(), MasterExtension.class).addBinding().to(FailingExtension.class);
    }

    public static final class FailingExtension implements MasterExtension {
        private boolean handsAClosedDescriptor;

        @Override
        public void reloadStarted(MasterControl master) {
            throw new NoClassDefFoundError("io/example/MissingPluginClass");
        }

        @Override
        public void reloadCompleted(MasterControl master) {
            handsAClosedDescriptor = true;
        }

        @Override
        public int[] descriptors() {
            return handsAClosedDescriptor ? new int[] {NOT_OPEN} : new int[0];
        }
    }
}
