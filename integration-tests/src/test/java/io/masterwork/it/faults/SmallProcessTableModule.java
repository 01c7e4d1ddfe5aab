package io.masterwork.it.faults;

import com.google.inject.AbstractModule;
import io.masterwork.master.process.ProcessTable;

/** Named in {@code modules.master}: a process table of 3 slots instead of 1024, so that a test can fill it. */
public final class SmallProcessTableModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(ProcessTable.class).toInstance(new ProcessTable(3));
    }
}
