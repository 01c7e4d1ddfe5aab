package io.masterwork.master.cli;

import com.google.inject.Guice;
import com.google.inject.Injector;
import com.google.inject.Module;
import com.google.inject.util.Modules;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.master.config.MasterConfigurationModule;
import io.masterwork.master.control.ControlSocketModule;
import io.masterwork.master.process.MasterProcessModule;
import io.masterwork.master.status.StatusModule;
import io.masterwork.master.systemd.SystemdModule;
import io.masterwork.posix.PosixModule;

import java.lang.reflect.Constructor;
import java.util.ArrayList;
import java.util.List;

/**
 * The master's Guice injector: the default modules, overridden by the classes named in
 * {@code modules.master} (ARCHITECTURE.md, "Guice"), so that a test or a downstream server can replace
 * any layer of a real, separately started master.
 */
final class MasterInjector {
    private MasterInjector() {
    }

    static List<Module> defaultModules(MasterConfiguration config) {
        return List.of(new PosixModule(), new MasterProcessModule(), new MasterConfigurationModule(config),
                new SystemdModule(),
                new ControlSocketModule(), new StatusModule());
    }

    static Injector create(MasterConfiguration config) {
        List<Module> overrides = instantiate(config);
        Module all = overrides.isEmpty()
                ? Modules.combine(defaultModules(config))
                : Modules.override(defaultModules(config)).with(overrides);
        return Guice.createInjector(all);
    }

    /** Each named module, built with a (MasterConfiguration) constructor if it has one, else its no-arg one. */
    static List<Module> instantiate(MasterConfiguration config) {
        List<Module> modules = new ArrayList<>();
        for (String name : config.masterModules()) {
            try {
                Class<? extends Module> type = Class.forName(name).asSubclass(Module.class);
                Constructor<? extends Module> withConfig = null;
                try {
                    withConfig = type.getDeclaredConstructor(MasterConfiguration.class);
                } catch (NoSuchMethodException e) {
                    // the usual case: a no-arg module
                }
                if (withConfig != null) {
                    withConfig.setAccessible(true);
                    modules.add(withConfig.newInstance(config));
                } else {
                    Constructor<? extends Module> noArg = type.getDeclaredConstructor();
                    noArg.setAccessible(true);
                    modules.add(noArg.newInstance());
                }
            } catch (ReflectiveOperationException | RuntimeException e) {
                throw new IllegalStateException("cannot create master module " + name + " (modules.master in "
                        + config.configFile() + "): " + e, e);
            }
        }
        return modules;
    }
}
