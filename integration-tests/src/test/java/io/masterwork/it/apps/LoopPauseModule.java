package io.masterwork.it.apps;

import com.google.inject.AbstractModule;
import io.masterwork.api.ApplicationContext;
import io.masterwork.api.WorkerApplication;
import io.masterwork.worker.http.HttpApplication;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletionStage;

/**
 * The built-in HTTP application, plus a way to stop a worker from reading anything for a while: when the file
 * {@code pause-<pid>} appears in the prefix (its content: milliseconds), the worker's event loop — where its command
 * channel is read — sleeps that long, as a busy or starting JVM does. Writing the file again pauses it again.
 */
public final class LoopPauseModule extends AbstractModule {
    @Override
    protected void configure() {
        bind(WorkerApplication.class).to(PausableApplication.class);
    }

    public static final class PausableApplication implements WorkerApplication {
        private final HttpApplication http = new HttpApplication();

        @Override
        public CompletionStage<Void> start(ApplicationContext context) throws Exception {
            Path trigger = context.prefix().resolve("pause-" + context.identity().pid());
            Thread watcher = new Thread(() -> watch(trigger, context), "pause-watcher");
            watcher.setDaemon(true);
            watcher.start();
            return http.start(context);
        }

        private static void watch(Path trigger, ApplicationContext context) {
            try {
                // The worker (nobody, by default) may not remove a file of root's: a pause is one new modification.
                java.nio.file.attribute.FileTime handled = null;
                for (;;) {
                    java.nio.file.attribute.FileTime modified = Files.exists(trigger) ? Files.getLastModifiedTime(trigger) : null;
                    if (modified != null && !modified.equals(handled)) {
                        handled = modified;
                        long millis = Long.parseLong(Files.readString(trigger).trim());
                        int pid = context.identity().pid();
                        context.eventLoop().execute(() -> {
                            System.err.println("worker " + pid + ": event loop paused for " + millis + " ms");
                            sleep(millis);
                            System.err.println("worker " + pid + ": event loop resumed");
                        });
                    }
                    Thread.sleep(20);
                }
            } catch (Exception e) {
                System.err.println("pause watcher stopped: " + e);
            }
        }

        private static void sleep(long millis) {
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public CompletionStage<Void> drain() {
            return http.drain();
        }

        @Override
        public void stopAccepting() {
            http.stopAccepting();
        }

        @Override
        public void closeAll() {
            http.closeAll();
        }

        @Override
        public void reopen() {
            http.reopen();
        }
    }
}
