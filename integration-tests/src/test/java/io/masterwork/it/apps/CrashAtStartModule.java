package io.masterwork.it.apps;

import com.google.inject.AbstractModule;
import io.masterwork.api.ApplicationContext;
import io.masterwork.api.WorkerApplication;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** Fault injection: a worker that crashes (exit 1, its own doing) as soon as it starts. */
public final class CrashAtStartModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(WorkerApplication.class).to(CrashingApplication.class);
    }

    public static final class CrashingApplication implements WorkerApplication {
        @Override
        public CompletionStage<Void> start(ApplicationContext context) {
            Runtime.getRuntime().halt(1);
            return CompletableFuture.completedFuture(null);
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
