package io.masterwork.it.apps;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import io.masterwork.api.SettingsCheck;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A second check of hello-app's {@code app { greeting }}, registered only through a {@code worker_class_path} directory
 * that holds its META-INF/services entry (so that no other test's workers load it): {@code greeting = throw-an-error}
 * makes it throw an Error, {@code greeting = report-uid} makes it refuse with the uid it runs as, which shows where
 * application code runs.
 */
public final class ErrorOnDemandSettingsCheck implements SettingsCheck {
    @Override
    public String section() {
        return "app";
    }

    @Override
    public Config defaults() {
        return ConfigFactory.empty();
    }

    @Override
    public void check(Config app, Context context) {
        String greeting = app.hasPath("greeting") ? app.getString("greeting") : "";
        if (greeting.equals("throw-an-error")) {
            throw new AssertionError("an application's check that throws an Error");
        }
        if (greeting.equals("report-uid")) {
            throw new ConfigException.BadValue(app.getValue("greeting").origin(), "greeting",
                    "checked as uid " + uid() + " with prefix " + context.prefix());
        }
    }

    private static String uid() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream().filter(l -> l.startsWith("Uid:"))
                    .map(l -> l.split("\\s+")[1]).findFirst().orElse("?");
        } catch (IOException e) {
            return "?";
        }
    }
}
