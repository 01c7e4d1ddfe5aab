package io.masterwork.master.config;

import com.google.inject.AbstractModule;

/** A Guice module that binds nothing: a valid entry for modules.master in tests. */
public final class NoOpModuleForTests extends AbstractModule {
}
