/**
 * Native calls that fail on demand, in a real master or worker: {@link io.masterwork.testkit.faults.FaultInjectingPosix}
 * wraps the process's {@code Posix} and fails the calls a fault file names ({@link io.masterwork.testkit.faults.FaultSpec}
 * gives its syntax). In the master: {@code modules { master = ["io.masterwork.testkit.faults.FaultInjectionModule"] }},
 * the file {@code <prefix>/faults/master} (written with {@link io.masterwork.testkit.Probes#armMasterFaults}). In a
 * worker: {@code worker_jvm_options = ["-Dmasterwork.worker.posix=io.masterwork.testkit.faults.FaultInjectingPosix$InWorker"]}
 * and the file that {@code -Dmasterwork.faults.file} names.
 */
package io.masterwork.testkit.faults;
