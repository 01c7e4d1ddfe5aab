package io.masterwork.testkit;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Every child a process starts, with when the kernel says it started ({@code /proc/<pid>/stat}) and when this
 * watch last saw it alive and first saw it gone, polled every few ms on a thread of its own: the real spacing
 * of a master's spawns, which its log lines only claim.
 */
public final class ChildWatch implements AutoCloseable {
    /** One child: start from the kernel; the two sightings bracket its death (all ms since boot). */
    public record Life(int pid, long startMillis, long lastSeenAliveMillis, long firstSeenGoneMillis) {
        public boolean gone() {
            return firstSeenGoneMillis >= 0;
        }
    }

    private static final long POLL_MILLIS = 5;

    private final int parent;
    private final Map<Integer, Life> lives = new LinkedHashMap<>();
    private final Thread thread;
    private volatile boolean running = true;

    public ChildWatch(int parent) {
        this.parent = parent;
        thread = new Thread(this::run, "child-watch-" + parent);
        thread.setDaemon(true);
        thread.start();
    }

    /** The children seen so far, in the order they started. */
    public synchronized List<Life> lives() {
        List<Life> out = new ArrayList<>(lives.values());
        out.sort(Comparator.comparingLong(Life::startMillis).thenComparingInt(Life::pid));
        return out;
    }

    private void run() {
        while (running) {
            // The time is read before the look: a child seen alive was alive at a moment after it, and a child
            // seen gone died before the moment read after the look.
            long before = ProcFs.uptimeMillis();
            List<Integer> now = childrenOf(parent);
            long after = ProcFs.uptimeMillis();
            synchronized (this) {
                for (int pid : now) {
                    Life known = lives.get(pid);
                    if (known == null) {
                        long start = ProcFs.startMillis(pid);
                        if (start >= 0) {
                            lives.put(pid, new Life(pid, start, before, -1));
                        }
                    } else if (!known.gone()) {
                        lives.put(pid, new Life(pid, known.startMillis(), before, -1));
                    }
                }
                for (Life life : List.copyOf(lives.values())) {
                    if (!life.gone() && !now.contains(life.pid())) {
                        lives.put(life.pid(), new Life(life.pid(), life.startMillis(), life.lastSeenAliveMillis(), after));
                    }
                }
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /**
     * Live (non-zombie) children, from each thread's {@code children} list: a master's loop thread spawns its
     * workers, so no scan of all of /proc is needed at every poll.
     */
    private static List<Integer> childrenOf(int pid) {
        List<Integer> out = new ArrayList<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc/" + pid + "/task"))) {
            for (Path task : tasks.toList()) {
                String children;
                try {
                    children = Files.readString(task.resolve("children")).trim();
                } catch (IOException threadGone) {
                    continue;
                }
                if (!children.isEmpty()) {
                    for (String child : children.split(" ")) {
                        int c = Integer.parseInt(child);
                        if (!ProcFs.isZombie(c) && ProcFs.read(c, "stat") != null) {
                            out.add(c);
                        }
                    }
                }
            }
        } catch (IOException parentGone) {
            return out;
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        thread.join(5_000);
    }
}
