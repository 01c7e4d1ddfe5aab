package io.masterwork.it.apps;

import com.google.inject.AbstractModule;
import io.masterwork.api.ApplicationContext;
import io.masterwork.api.WorkerApplication;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Fault injection: an application whose start blocks the worker's event loop for good, so the worker can read no
 * command at all (TERMINATE included): only the master's SIGKILL ends it.
 */
public final class HangingStartModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(WorkerApplication.class).to(HangingStartApplication.class);
    }

    public static final class HangingStartApplication implements WorkerApplication {
        @Override
        public CompletionStage<Void> start(ApplicationContext context) {
            Object never = new Object();
            synchronized (never) {
                for (;;) {
                    try {
                        never.wait();
                    } catch (InterruptedException ignored) {
                        // a hung start stays hung
                    }
                }
            }
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
