package io.masterwork.it.apps;

import com.google.inject.AbstractModule;
import io.masterwork.api.ApplicationContext;
import io.masterwork.api.WorkerApplication;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Fault injection through the worker's module list: an application whose start-up always fails. */
public final class FailingStartModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(WorkerApplication.class).to(FailingStartApplication.class);
    }

    public static final class FailingStartApplication implements WorkerApplication {
        @Override
        public CompletionStage<Void> start(ApplicationContext context) {
            return CompletableFuture.failedFuture(new IllegalStateException("injected start-up failure"));
        }

        @Override
        public CompletionStage<Void> drain() {
            return CompletableFuture.completedFuture(null);
        }

        @Override
        public void closeAll() {
        }
    }
}
