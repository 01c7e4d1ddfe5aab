package io.masterwork.worker;

import com.google.inject.AbstractModule;
import com.google.inject.Guice;
import com.google.inject.Module;
import com.google.inject.util.Modules;
import io.masterwork.api.ApplicationContext;
import io.masterwork.api.WorkerApplication;
import io.masterwork.api.WorkerIdentity;
import io.masterwork.posix.Posix;
import io.masterwork.worker.http.HttpApplication;

import java.util.ArrayList;
import java.util.List;

/**
 * Which {@link WorkerApplication} a worker runs. The default is the built-in HTTP application; the
 * Guice modules named in {@code modules.worker} override the default bindings (Modules.override),
 * which is how a downstream server plugs in and how a test swaps a layer in a real worker.
 *
 * <p>With no module named, the injector is skipped: the default binding is known, and Guice's
 * start-up (tens of milliseconds on a cold JVM) is then not paid by every worker.
 */
final class ApplicationLoader {
    private ApplicationLoader() {
    }

    static WorkerApplication load(WorkerConfiguration config, ApplicationContext context, Posix posix) {
        List<String> names = config.workerModules();
        if (names.isEmpty()) {
            return new HttpApplication();
        }
        List<Module> modules = new ArrayList<>();
        ClassLoader loader = Thread.currentThread().getContextClassLoader();
        for (String name : names) {
            modules.add(instantiate(name, loader));
        }
        return Guice.createInjector(Modules.override(new DefaultWorkerModule(context, posix)).with(modules))
                .getInstance(WorkerApplication.class);
    }

    private static Module instantiate(String name, ClassLoader loader) {
        Class<?> type;
        try {
            type = Class.forName(name, true, loader);
        } catch (ClassNotFoundException | LinkageError e) {
            throw new WorkerInitException("modules.worker: class " + name + " not found on the worker class path ("
                    + "worker_class_path)", e);
        }
        if (!Module.class.isAssignableFrom(type)) {
            throw new WorkerInitException("modules.worker: " + name + " is not a Guice module");
        }
        try {
            return (Module) type.getDeclaredConstructor().newInstance();
        } catch (ReflectiveOperationException e) {
            throw new WorkerInitException("modules.worker: cannot create " + name + " with its no-argument constructor: " + e, e);
        }
    }

    /** The bindings a worker application may inject; WorkerApplication defaults to the HTTP application. */
    static final class DefaultWorkerModule extends AbstractModule {
        private final ApplicationContext context;
        private final Posix posix;

        DefaultWorkerModule(ApplicationContext context, Posix posix) {
            this.context = context;
            this.posix = posix;
        }

        @Override
        protected void configure() {
            bind(ApplicationContext.class).toInstance(context);
            bind(WorkerIdentity.class).toInstance(context.identity());
            bind(Posix.class).toInstance(posix);
            bind(WorkerApplication.class).to(HttpApplication.class);
        }
    }
}
