/**
 * A real master with real worker JVMs in a JUnit 5 test: the harness masterwork's own integration tests run on,
 * for the servers built on masterwork.
 *
 * <h2>Starting a master</h2>
 * {@link io.masterwork.testkit.RunningMaster#builder()} describes the master (the application's Guice modules,
 * its {@code app {}} settings, any other configuration); {@link io.masterwork.testkit.MasterBuilder#start()} starts
 * it in a fresh temporary prefix, listening on a free loopback port, in the foreground; or
 * {@link io.masterwork.testkit.MasterworkExtension} does both around every test method. The
 * {@link io.masterwork.testkit.RunningMaster} a test gets hands it the base URL, the pids of the workers, the
 * process table, reloads (with new application settings), signals, {@code killWorker}, the error log, and waits
 * for ready workers and for generations. Every wait is bounded; closing it kills, by pid, the master and every
 * worker it was seen to have.
 *
 * <h2>Where the master's classes come from</h2>
 * The master and its workers run on the JVM that runs the test ({@code java.home}), the master with the JVM flags
 * bin/masterwork gives it ({@link io.masterwork.testkit.RunningMaster#MASTER_JVM_FLAGS}; a builder's
 * {@link io.masterwork.testkit.MasterBuilder#masterJvmOptions} come after them and win), with the test's own class path:
 * masterwork's jars (masterwork-testkit brings master-core and worker-core with it), the application's classes
 * and the test's. The class path is read from {@code surefire.test.class.path} (set by Maven's Surefire and
 * Failsafe, also when they start the test JVM from a manifest-only jar), else from {@code java.class.path}; the
 * system property {@value io.masterwork.testkit.RunningMaster#CLASS_PATH_PROPERTY} overrides both (entries
 * separated by the platform's path separator). The entries are copied once per test JVM into a world-readable
 * temporary directory laid out as a distribution's {@code lib/} (class directories zipped into jars, the
 * master-only jars in {@code lib/master/}), so that a worker that drops its privileges can still read them.
 * {@link io.masterwork.testkit.MasterBuilder#classPathDirectory} names such a directory instead (an assembled
 * distribution's lib/), and {@link io.masterwork.testkit.MasterBuilder#workerClassPath} adds the application's
 * jars to the workers' class path alone.
 *
 * <h2>Clients and faults</h2>
 * {@link io.masterwork.testkit.Http} sends single requests; {@link io.masterwork.testkit.KeepAliveLoad} is
 * keep-alive load that accounts for every request it sets out to send ({@code sent == ok + failed} once closed);
 * {@link io.masterwork.testkit.Persistent}, {@link io.masterwork.testkit.WsClient} and
 * {@link io.masterwork.testkit.RawClient} hold one connection for a whole test. {@link io.masterwork.testkit.ProcFs}
 * and {@link io.masterwork.testkit.ChildWatch} read the processes from /proc. The package
 * {@link io.masterwork.testkit.faults} makes the master's or a worker's native calls fail on demand.
 *
 * <p>Linux only, as masterwork is.
 */
package io.masterwork.testkit;
