package io.masterwork.worker;

import io.masterwork.api.ApplicationFigures;
import io.masterwork.api.WorkerApplication;
import io.masterwork.channel.WorkerFigures;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.util.Optional;

/**
 * The answer to the master's REPORT: the application's figures, the sibling messages and this JVM's heap, GC and
 * thread figures. A class of its own so that java.lang.management loads on the first scrape, never at start-up.
 */
final class FiguresReport {
    private FiguresReport() {
    }

    /** On the event loop; {@code application} is null while it has not started (a spare, say). */
    static WorkerFigures collect(WorkerApplication application, SiblingInboxes siblings) {
        Optional<ApplicationFigures> own = Optional.empty();
        if (application != null) {
            try {
                own = application.figures();
            } catch (RuntimeException e) {
                // The application's bug must not cost the master the JVM's figures.
                own = Optional.empty();
            }
        }
        ApplicationFigures app = own.orElse(new ApplicationFigures(0, 0, 0, 0));
        MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
        long collections = 0;
        long gcMillis = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            collections += Math.max(0, gc.getCollectionCount());
            gcMillis += Math.max(0, gc.getCollectionTime());
        }
        return new WorkerFigures(own.isPresent(), app.requests(), app.openConnections(), app.connectionsMoved(),
                app.connectionsAdopted(), siblings == null ? 0 : siblings.messagesSent(),
                siblings == null ? 0 : siblings.messagesReceived(), Math.max(0, heap.getUsed()),
                Math.max(0, heap.getCommitted()), Math.max(0, heap.getMax()), collections, gcMillis,
                ManagementFactory.getThreadMXBean().getThreadCount());
    }
}
