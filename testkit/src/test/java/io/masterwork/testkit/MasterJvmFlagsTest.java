package io.masterwork.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@link RunningMaster#MASTER_JVM_FLAGS} is a copy of the flags bin/masterwork starts a master with: a test master is
 * the operator's master only while the two agree, so a change to the script must show here.
 */
class MasterJvmFlagsTest {

    @Test
    void theTestkitStartsMastersWithTheFlagsOfBinMasterwork() throws IOException {
        Path script = ReadmeSampleTest.readme().getParent().resolve("distribution/src/main/bin/masterwork");
        List<String> lines = Files.readAllLines(script);
        int exec = lines.indexOf("exec \"$java\" \\");
        assertThat(exec).as("bin/masterwork's exec line").isNotNegative();
        List<String> flags = new ArrayList<>();
        for (String line : lines.subList(exec + 1, lines.size())) {
            if (line.trim().startsWith("-D") || line.trim().startsWith("\"$@\"")) {
                break; // the properties and the arguments that follow are the command's, not the JVM's flags
            }
            flags.addAll(Arrays.asList(line.replace("\\", " ").trim().split("\\s+")));
        }
        assertThat(RunningMaster.MASTER_JVM_FLAGS).containsExactlyElementsOf(flags);
    }
}
