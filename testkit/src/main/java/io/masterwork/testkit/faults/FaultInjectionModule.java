package io.masterwork.testkit.faults;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;
import io.masterwork.master.config.MasterConfiguration;
import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;

/**
 * Named in {@code modules.master}: the master's every native call goes through {@link FaultInjectingPosix},
 * with the faults of {@code <prefix>/faults/master}.
 */
public final class FaultInjectionModule extends AbstractModule {
    private final MasterConfiguration config;

    public FaultInjectionModule(MasterConfiguration config) {
        this.config = config;
    }

    @Provides
    @Singleton
    public Posix posix() {
        return FaultInjectingPosix.wrap(NativePosix.get(), config.prefix().toAbsolutePath().resolve("faults/master"));
    }
}
