package io.masterwork.api;

import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * worker-api is the contract with downstream code: its public API, as compiled, must equal the baseline
 * checked in at {@code worker-api/api/worker-api.txt}. A change to it (an added method too: a downstream class
 * implementing the interface breaks) fails the build until the baseline is regenerated on purpose, so the change
 * shows in review as a diff of that file:
 *
 * <pre>./mvnw -pl worker-api test -Dtest=PublicApiBaselineTest -Dmasterwork.api.update=true</pre>
 *
 * <p>The baseline lists every public type of the module with its public and protected members, one
 * declaration a line as {@code java.lang.reflect} renders it (generic signatures, modifiers, throws clauses),
 * sorted; the value of every compile-time constant too, since downstream classes compile it in.
 */
class PublicApiBaselineTest {
    private static final Path BASELINE = Path.of("api", "worker-api.txt");
    static final String UPDATE_PROPERTY = "masterwork.api.update";
    static final String UPDATE_COMMAND = "./mvnw -pl worker-api test -Dtest=PublicApiBaselineTest -D"
            + UPDATE_PROPERTY + "=true";

    @Test
    void thePublicApiIsTheRecordedBaseline() throws Exception {
        List<String> current = PublicApi.of(classesOf(WorkerApplication.class));
        if (Boolean.getBoolean(UPDATE_PROPERTY)) {
            Files.createDirectories(BASELINE.getParent());
            Files.write(BASELINE, current);
            return;
        }
        if (!Files.exists(BASELINE)) {
            fail("no API baseline at worker-api/" + BASELINE + "; record it with:\n  " + UPDATE_COMMAND);
        }
        List<String> recorded = Files.readAllLines(BASELINE);
        if (!recorded.equals(current)) {
            fail("worker-api's public API differs from its baseline (worker-api/" + BASELINE + "):\n"
                    + PublicApi.difference(recorded, current)
                    + "\nDownstream code compiles against this API. If the change is intended, record it with\n  "
                    + UPDATE_COMMAND + "\nand commit the baseline with the change.");
        }
    }

    /** Every class in the directory or jar that {@code anchor} was loaded from. */
    private static List<Class<?>> classesOf(Class<?> anchor) throws IOException, URISyntaxException, ClassNotFoundException {
        URI location = anchor.getProtectionDomain().getCodeSource().getLocation().toURI();
        Path root = Path.of(location);
        List<Class<?>> classes = new ArrayList<>();
        if (Files.isDirectory(root)) {
            load(root, root, classes);
        } else {
            try (FileSystem jar = FileSystems.newFileSystem(URI.create("jar:" + location), Map.of())) {
                Path top = jar.getPath("/");
                load(top, top, classes);
            }
        }
        return classes;
    }

    private static void load(Path root, Path dir, List<Class<?>> into) throws IOException, ClassNotFoundException {
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = walk.filter(p -> p.toString().endsWith(".class")).sorted().toList();
        }
        for (Path file : files) {
            String relative = root.relativize(file).toString().replace('\\', '/');
            if (relative.startsWith("META-INF/") || relative.endsWith("module-info.class")
                    || relative.endsWith("package-info.class")) {
                continue;
            }
            String name = relative.substring(0, relative.length() - ".class".length()).replace('/', '.');
            into.add(Class.forName(name, false, PublicApiBaselineTest.class.getClassLoader()));
        }
    }

    /** The rendering of an API: what the baseline file holds. */
    static final class PublicApi {
        private PublicApi() {
        }

        static List<String> of(List<Class<?>> classes) {
            TreeSet<String> lines = new TreeSet<>();
            for (Class<?> type : classes) {
                if (isVisible(type)) {
                    render(type, lines);
                }
            }
            return new ArrayList<>(lines);
        }

        /** Public, and (when nested) every enclosing type public too: reachable from downstream code. */
        private static boolean isVisible(Class<?> type) {
            if (type.isAnonymousClass() || type.isLocalClass() || type.isSynthetic()) {
                return false;
            }
            for (Class<?> t = type; t != null; t = t.getDeclaringClass()) {
                if (!Modifier.isPublic(t.getModifiers())) {
                    return false;
                }
            }
            return true;
        }

        private static void render(Class<?> type, TreeSet<String> lines) {
            String name = type.getName();
            lines.add(name + " " + header(type));
            for (Constructor<?> c : type.getDeclaredConstructors()) {
                if (isApi(c.getModifiers()) && !c.isSynthetic()) {
                    lines.add(name + "#" + c.toGenericString());
                }
            }
            for (Method m : type.getDeclaredMethods()) {
                if (isApi(m.getModifiers()) && !m.isSynthetic() && !m.isBridge()) {
                    lines.add(name + "#" + m.toGenericString());
                }
            }
            for (Field f : type.getDeclaredFields()) {
                if (isApi(f.getModifiers()) && !f.isSynthetic()) {
                    lines.add(name + "#" + f.toGenericString() + constantValue(f));
                }
            }
        }

        private static String header(Class<?> type) {
            String generics = type.getTypeParameters().length == 0 ? "" : Arrays.stream(type.getTypeParameters())
                    .map(t -> t.getName() + bounds(t.getBounds())).collect(Collectors.joining(", ", "<", ">"));
            String supertypes = "";
            if (type.getGenericSuperclass() != null && type.getSuperclass() != Object.class
                    && !type.isEnum() && !type.isRecord()) {
                supertypes += " extends " + type.getGenericSuperclass().getTypeName();
            }
            if (type.getGenericInterfaces().length > 0) {
                supertypes += (type.isInterface() ? " extends " : " implements ") + Arrays.stream(type.getGenericInterfaces())
                        .map(java.lang.reflect.Type::getTypeName).collect(Collectors.joining(", "));
            }
            String permits = type.isSealed() ? Arrays.stream(type.getPermittedSubclasses()).map(Class::getName)
                    .collect(Collectors.joining(", ", " permits ", "")) : "";
            return Modifier.toString(type.getModifiers() & ~Modifier.INTERFACE) + " " + kind(type) + generics
                    + supertypes + permits;
        }

        private static String kind(Class<?> type) {
            if (type.isAnnotation()) {
                return "@interface";
            }
            if (type.isInterface()) {
                return "interface";
            }
            if (type.isEnum()) {
                return "enum";
            }
            return type.isRecord() ? "record" : "class";
        }

        private static String bounds(java.lang.reflect.Type[] bounds) {
            if (bounds.length == 1 && bounds[0] == Object.class) {
                return "";
            }
            return Arrays.stream(bounds).map(java.lang.reflect.Type::getTypeName).collect(Collectors.joining(" & ", " extends ", ""));
        }

        private static boolean isApi(int modifiers) {
            return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
        }

        /** " = value" for a compile-time constant (static final primitive or String), which callers compile in. */
        private static String constantValue(Field f) {
            int m = f.getModifiers();
            if (!Modifier.isStatic(m) || !Modifier.isFinal(m) || !(f.getType().isPrimitive() || f.getType() == String.class)) {
                return "";
            }
            try {
                Object value = f.get(null);
                return " = " + (value instanceof String s ? '"' + s + '"' : String.valueOf(value));
            } catch (ReflectiveOperationException | RuntimeException e) {
                return "";
            }
        }

        /** The lines only in one of the two, marked - (baseline) and + (compiled). */
        static String difference(List<String> recorded, List<String> current) {
            StringBuilder out = new StringBuilder();
            TreeSet<String> removed = new TreeSet<>(recorded);
            current.forEach(removed::remove);
            TreeSet<String> added = new TreeSet<>(current);
            recorded.forEach(added::remove);
            removed.forEach(line -> out.append("  - ").append(line).append('\n'));
            added.forEach(line -> out.append("  + ").append(line).append('\n'));
            return out.toString();
        }
    }
}
