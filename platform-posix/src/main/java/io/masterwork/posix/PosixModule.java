package io.masterwork.posix;

import com.google.inject.AbstractModule;
import com.google.inject.Provides;
import com.google.inject.Singleton;

/** Binds {@link Posix} to the process-wide {@link NativePosix} instance (libc bound on first injection). */
public final class PosixModule extends AbstractModule {
    @Provides
    @Singleton
    Posix posix() {
        return NativePosix.get();
    }
}
