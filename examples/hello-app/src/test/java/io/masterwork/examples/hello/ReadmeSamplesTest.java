package io.masterwork.examples.hello;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's "A downstream application" section is what a new team builds from: every java block in it
 * compiles against worker-api and what a worker provides (Netty, Guice). The block of imports is put in front
 * of each of the others, which are wrapped in a class of their own (they declare top-level classes side by side).
 */
class ReadmeSamplesTest {
    private static final String SECTION = "## A downstream application";

    @Test
    void everyJavaSampleOfTheDownstreamSectionCompiles(@TempDir Path out) throws IOException {
        List<String> blocks = javaBlocks(section(Files.readString(readme())));
        String imports = blocks.stream().filter(b -> b.strip().startsWith("import ")).findFirst()
                .orElseThrow(() -> new AssertionError("no block of imports in the README's section"));
        List<JavaFileObject> sources = new ArrayList<>();
        for (String block : blocks) {
            if (block == imports) {
                continue;
            }
            String name = "ReadmeSample" + sources.size();
            sources.add(new Source(name, imports + "\nclass " + name + " {\n" + block + "\n}\n"));
        }
        assertThat(sources).as("java samples in the README's section").hasSizeGreaterThanOrEqualTo(2);

        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        boolean compiled = compiler.getTask(diagnostics, null, null,
                List.of("-d", out.toString(), "-classpath", classPath(), "-proc:none"), null, sources).call();
        assertThat(compiled).as("the README's samples compile:%n%s", diagnostics).isTrue();
    }

    /**
     * masterwork's README.md, found from the module directory up: the first README.md with the section (hello-app's
     * own README has none). hello-app built from a copy outside the repository has no such README to check.
     */
    private static Path readme() throws IOException {
        Path dir = Path.of("").toAbsolutePath();
        for (Path d = dir; d != null; d = d.getParent()) {
            Path readme = d.resolve("README.md");
            if (Files.isRegularFile(readme) && Files.readString(readme).contains("\n" + SECTION + "\n")) {
                return readme;
            }
        }
        assumeTrue(false, "no masterwork README.md above " + dir + ": hello-app is built outside the repository");
        return null;
    }

    static String section(String readme) {
        int start = readme.indexOf("\n" + SECTION + "\n");
        assertThat(start).as("the README has a section '%s'", SECTION).isNotNegative();
        int end = readme.indexOf("\n## ", start + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    static List<String> javaBlocks(String markdown) {
        List<String> blocks = new ArrayList<>();
        Matcher m = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(markdown);
        while (m.find()) {
            blocks.add(m.group(1));
        }
        return blocks;
    }

    /** The test's class path as surefire runs it (its manifest-only jar hides it from java.class.path). */
    private static String classPath() {
        String path = System.getProperty("java.class.path");
        String surefire = System.getProperty("surefire.test.class.path");
        if (surefire != null && !surefire.isBlank()) {
            path = surefire;
        }
        return Stream.of(path.split(File.pathSeparator)).filter(p -> !p.isBlank()).collect(Collectors.joining(File.pathSeparator));
    }

    private static final class Source extends SimpleJavaFileObject {
        private final String code;

        Source(String name, String code) {
            super(URI.create("string:///" + name + ".java"), Kind.SOURCE);
            this.code = code;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return code;
        }
    }
}
