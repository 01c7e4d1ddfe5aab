package io.masterwork.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.StringWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.tools.JavaCompiler;
import javax.tools.JavaFileObject;
import javax.tools.SimpleJavaFileObject;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's testkit sample is what a downstream team copies: it compiles against the testkit as it is, with
 * the application module it names standing in as an empty Guice module.
 */
class ReadmeSampleTest {
    private static final String SECTION = "## Testing your server with masterwork-testkit";

    @Test
    void theReadmesTestkitSampleCompiles(@TempDir Path out) throws IOException {
        String section = section(Files.readString(readme()));
        Matcher java = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(section);
        assertThat(java.find()).as("a java block in the README's section '%s'", SECTION).isTrue();
        List<JavaFileObject> sources = List.of(
                new Source("HelloServerTest", java.group(1)),
                new Source("HelloModule", "class HelloModule extends com.google.inject.AbstractModule {}"));

        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        StringWriter diagnostics = new StringWriter();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        boolean compiled = compiler.getTask(diagnostics, null, null,
                List.of("-d", out.toString(), "-classpath", classPath, "-proc:none"), null, sources).call();

        assertThat(compiled).as("the README's testkit sample compiles:%n%s", diagnostics).isTrue();
    }

    /** The repository's README.md, found from the module directory up (beside mvnw). */
    static Path readme() {
        for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
            if (Files.isRegularFile(d.resolve("README.md")) && Files.isRegularFile(d.resolve("mvnw"))) {
                return d.resolve("README.md");
            }
        }
        throw new AssertionError("no README.md beside mvnw above " + Path.of("").toAbsolutePath());
    }

    private static String section(String readme) {
        int start = readme.indexOf("\n" + SECTION + "\n");
        assertThat(start).as("the README has a section '%s'", SECTION).isNotNegative();
        int end = readme.indexOf("\n## ", start + 1);
        return readme.substring(start, end < 0 ? readme.length() : end);
    }

    private static final class Source extends SimpleJavaFileObject {
        private final String code;

        Source(String className, String code) {
            super(URI.create("string:///" + className + Kind.SOURCE.extension), Kind.SOURCE);
            this.code = code;
        }

        @Override
        public CharSequence getCharContent(boolean ignoreEncodingErrors) {
            return code;
        }
    }
}
