package io.masterwork.it.apps;

import com.google.inject.AbstractModule;
import io.masterwork.api.ApplicationContext;
import io.masterwork.api.WorkerApplication;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Fault injection: an application whose start-up never completes, so its worker never says READY. Its event loop
 * stays free (the worker still reads its command channel); {@link HangingStartModule} blocks the loop instead.
 */
public final class NeverReadyModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(WorkerApplication.class).to(NeverReadyApplication.class);
    }

    public static final class NeverReadyApplication implements WorkerApplication {
        @Override
        public CompletionStage<Void> start(ApplicationContext context) {
            return new CompletableFuture<>();
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
