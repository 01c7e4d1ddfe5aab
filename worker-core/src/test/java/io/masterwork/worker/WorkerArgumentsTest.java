package io.masterwork.worker;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class WorkerArgumentsTest {
    @Test
    void theContractsArguments() {
        assertThat(WorkerArguments.parse(new String[] {"--slot=2", "--generation=3", "--master-pid=99", "--listeners=1"}))
                .isEqualTo(new WorkerArguments(2, 3, 99, 1));
    }

    @Test
    void aSpareGetsItsSpareNumberInsteadOfASlot() {
        WorkerArguments spare = WorkerArguments.parse(new String[] {"--spare=1", "--generation=3", "--master-pid=99", "--listeners=2"});
        assertThat(spare).isEqualTo(new WorkerArguments(1, 3, 99, 2, true));
        assertThat(spare.spare()).isTrue();
        assertThat(WorkerArguments.parse(new String[] {"--slot=1", "--generation=3", "--master-pid=99", "--listeners=2"}).spare())
                .isFalse();
        assertThatThrownBy(() -> WorkerArguments.parse(new String[] {"--spare=1", "--slot=1", "--generation=3", "--master-pid=99",
                "--listeners=2"})).hasMessageContaining("--spare and --slot");
    }

    @Test
    void badArgumentsAreNamed() {
        assertThatThrownBy(() -> WorkerArguments.parse(new String[] {"--slot=2", "--generation=3", "--listeners=1"}))
                .hasMessageContaining("--master-pid");
        assertThatThrownBy(() -> WorkerArguments.parse(new String[] {"--slot=x"})).hasMessageContaining("--slot is not a number");
        assertThatThrownBy(() -> WorkerArguments.parse(new String[] {"--slot=1", "--slot=2"})).hasMessageContaining("twice");
        assertThatThrownBy(() -> WorkerArguments.parse(new String[] {"--colour=1"})).hasMessageContaining("--colour");
        assertThatThrownBy(() -> WorkerArguments.parse(new String[] {"slot"})).hasMessageContaining("\"slot\"");
        assertThatThrownBy(() -> WorkerArguments.parse(new String[] {"--slot=0", "--generation=0", "--master-pid=1", "--listeners=0"}))
                .hasMessageContaining("--generation");
    }
}
