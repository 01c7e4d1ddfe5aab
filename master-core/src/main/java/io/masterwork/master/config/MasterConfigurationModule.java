package io.masterwork.master.config;

import com.google.inject.AbstractModule;

/** Binds the configuration the master was started with. */
public final class MasterConfigurationModule extends AbstractModule {
    private final MasterConfiguration config;

    public MasterConfigurationModule(MasterConfiguration config) {
        this.config = config;
    }

    @Override
    protected void configure() {
        bind(MasterConfiguration.class).toInstance(config);
    }
}
