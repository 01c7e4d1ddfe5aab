package io.masterwork.master.config;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.List;

/**
 * The classes a worker will see: the master's own class path (the distribution's lib/, which workers
 * share) plus {@code worker_class_path}. Used only to validate that the classes named in {@code modules.worker}
 * exist and are Guice modules, without initialising them (no application code runs in the master). Closed right after, so no jar of an application stays open in the master.
 */
final class WorkerClassPath implements Closeable {
    private final URLClassLoader loader;

    WorkerClassPath(List<Path> extra) {
        URL[] urls = new URL[extra.size()];
        for (int i = 0; i < urls.length; i++) {
            try {
                urls[i] = extra.get(i).toUri().toURL();
            } catch (MalformedURLException e) {
                throw new UncheckedIOException(e);
            }
        }
        this.loader = new URLClassLoader("masterwork-worker-class-path", urls, WorkerClassPath.class.getClassLoader());
    }

    ClassLoader classLoader() {
        return loader;
    }

    @Override
    public void close() throws IOException {
        loader.close();
    }
}
