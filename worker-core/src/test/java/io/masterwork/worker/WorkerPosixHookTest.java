package io.masterwork.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.masterwork.posix.NativePosix;
import io.masterwork.posix.Posix;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** WorkerMain's one test hook, {@code -Dmasterwork.worker.posix}: absent, nothing changes; present, it wraps or fails init. */
class WorkerPosixHookTest {
    static Posix wrapped;

    /** Records what it was given and returns it: the test only needs to see that it ran. */
    public static final class Recording implements UnaryOperator<Posix> {
        @Override
        public Posix apply(Posix posix) {
            wrapped = posix;
            return posix;
        }
    }

    @AfterEach
    void clear() {
        System.clearProperty(WorkerMain.POSIX_WRAPPER_PROPERTY);
        wrapped = null;
    }

    @Test
    void withoutThePropertyTheNativePosixIsUsedAsItIs() {
        Posix posix = NativePosix.get();
        assertThat(WorkerMain.withTestWrapper(posix)).isSameAs(posix);
        assertThat(wrapped).isNull();
    }

    @Test
    void theNamedOperatorWrapsIt() {
        System.setProperty(WorkerMain.POSIX_WRAPPER_PROPERTY, Recording.class.getName());
        Posix posix = NativePosix.get();
        assertThat(WorkerMain.withTestWrapper(posix)).isSameAs(posix);
        assertThat(wrapped).isSameAs(posix);
    }

    @Test
    void aClassThatIsNotAnOperatorIsAnInitFailure() {
        System.setProperty(WorkerMain.POSIX_WRAPPER_PROPERTY, "java.lang.Object");
        assertThatThrownBy(() -> WorkerMain.withTestWrapper(NativePosix.get()))
                .isInstanceOf(WorkerInitException.class).hasMessageContaining("not a UnaryOperator<Posix>");
        System.setProperty(WorkerMain.POSIX_WRAPPER_PROPERTY, "no.such.Wrapper");
        assertThatThrownBy(() -> WorkerMain.withTestWrapper(NativePosix.get())).isInstanceOf(WorkerInitException.class);
    }
}
