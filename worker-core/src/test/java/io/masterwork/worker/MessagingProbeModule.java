package io.masterwork.worker;

import com.google.inject.AbstractModule;
import io.masterwork.api.WorkerApplication;

/** Named in {@code modules.worker} by {@link SiblingMessagesIT}: workers run {@link MessagingProbeApplication}. */
public final class MessagingProbeModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(WorkerApplication.class).to(MessagingProbeApplication.class);
    }
}
