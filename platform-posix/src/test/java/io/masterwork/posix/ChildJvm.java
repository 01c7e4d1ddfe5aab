package io.masterwork.posix;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The command line and environment that start a test main class in a fresh JVM. */
final class ChildJvm {
    private ChildJvm() {
    }

    static String java() {
        return System.getProperty("java.home") + "/bin/java";
    }

    static String jdkTool(String name) {
        return System.getProperty("java.home") + "/bin/" + name;
    }

    /** Surefire/Failsafe may start the test JVM from a manifest-only jar: prefer the real class path. */
    static String classPath() {
        String full = System.getProperty("surefire.test.class.path");
        return full != null && !full.isEmpty() ? full : System.getProperty("java.class.path");
    }

    static List<String> command(Class<?> mainClass, String... args) {
        List<String> argv = new ArrayList<>();
        argv.add(java());
        argv.add("-XX:TieredStopAtLevel=1");
        argv.add("-XX:+UseSerialGC");
        argv.add("--enable-native-access=ALL-UNNAMED");
        argv.add("-cp");
        argv.add(classPath());
        argv.add(mainClass.getName());
        argv.addAll(List.of(args));
        return argv;
    }

    static List<String> environment() {
        List<String> env = new ArrayList<>();
        for (Map.Entry<String, String> e : System.getenv().entrySet()) {
            env.add(e.getKey() + "=" + e.getValue());
        }
        return env;
    }
}
