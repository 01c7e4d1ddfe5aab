package io.masterwork.examples.hello;

import com.google.inject.AbstractModule;
import io.masterwork.api.WorkerApplication;

/** Named in {@code modules.worker}: every worker runs {@link HelloApplication} instead of the built-in one. */
public final class HelloModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(WorkerApplication.class).to(HelloApplication.class);
    }
}
