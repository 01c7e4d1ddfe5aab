package io.masterwork.testkit;

import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * A real master for every test method: started before it from a {@link MasterBuilder}, with all its workers
 * ready, and ended after it (every process it started killed by pid). A test reaches it through
 * {@link #master()} or a {@link RunningMaster} parameter. One master at a time: the test methods of a class that
 * registers it run one after the other (JUnit's default), not in parallel.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final MasterworkExtension server = MasterworkExtension.of(
 *         RunningMaster.builder().workerModules(MyServerModule.class).app("greeting = \"hello\""));
 *
 * @Test
 * void greets(RunningMaster master) throws Exception {
 *     assertEquals(200, Http.get(master.port(), "/").status());
 * }
 * }</pre>
 */
public final class MasterworkExtension implements BeforeEachCallback, AfterEachCallback, ParameterResolver {
    private final MasterBuilder builder;
    private final int workerProcesses;
    private RunningMaster master;

    private MasterworkExtension(MasterBuilder builder, int workerProcesses) {
        this.builder = builder.workerProcesses(workerProcesses);
        this.workerProcesses = workerProcesses;
    }

    /** A master from {@code builder} with 2 workers. */
    public static MasterworkExtension of(MasterBuilder builder) {
        return new MasterworkExtension(builder, 2);
    }

    /** A master from {@code builder} with {@code workerProcesses} workers, all awaited ready before each test. */
    public static MasterworkExtension of(MasterBuilder builder, int workerProcesses) {
        return new MasterworkExtension(builder, workerProcesses);
    }

    /** The current test's master. */
    public RunningMaster master() {
        if (master == null) {
            throw new IllegalStateException("no master outside a test method");
        }
        return master;
    }

    @Override
    public void beforeEach(ExtensionContext context) throws Exception {
        RunningMaster started = builder.start();
        try {
            started.awaitWorkers(workerProcesses);
        } catch (RuntimeException | Error e) {
            started.close();
            throw e;
        }
        master = started;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        if (master != null) {
            try {
                master.close();
            } finally {
                master = null;
            }
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == RunningMaster.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return master();
    }
}
