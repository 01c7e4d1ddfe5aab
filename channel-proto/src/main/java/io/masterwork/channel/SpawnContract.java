package io.masterwork.channel;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * How a master starts a worker and what each side may count on (docs/ARCHITECTURE.md, "The master ↔ worker
 * contract"), in one place for both: the master's spawner builds a worker from it, the worker reads itself by it.
 * Every constant here is a compile-time constant: the worker's start-up path reads them without loading this class.
 *
 * <pre>
 * argv[0]  "masterwork: worker process" ("... (spare)" for a spare, shortened in place when it is promoted)
 * main     io.masterwork.worker.WorkerMain --slot=K | --spare=K, --generation=G, --master-pid=P, --listeners=N
 * fd 3     command channel (worker end), fd 4 sibling inbox (read end), fd 5 configuration (memfd, JSON),
 * fd 6..   the listening sockets, in the order of {@code listen}
 * env      the configuration's {@code env}, plus MASTERWORK_WORKER=1 and _JAVA_SR_SIGNUM=40
 * signals  HUP, USR2, WINCH, TTIN, TTOU ignored; TERM, INT, USR1 the fallbacks of QUIT, TERMINATE, REOPEN
 * exit     0 after QUIT/TERMINATE or a lost master, 2 init failed (never respawned), 3 out of heap
 * READY    no payload from a worker; "spare" from a spare that is initialised and waits for PROMOTE
 * </pre>
 */
public final class SpawnContract {
    public static final String WORKER_MAIN_CLASS = "io.masterwork.worker.WorkerMain";
    public static final String WORKER_TITLE = "masterwork: worker process";
    /** A spare's title: its promotion shortens it in place to {@link #WORKER_TITLE} (argv can shrink, not grow). */
    public static final String SPARE_TITLE = "masterwork: worker process (spare)";

    /**
     * {@code masterwork -t}'s check of the application sections, run as the worker user with the worker class path:
     * the configuration JSON on standard input, the {@code file:line: key: problem} message on standard output, exit
     * status {@link #EXIT_OK} or {@link #EXIT_SETTINGS_REJECTED}.
     */
    public static final String SETTINGS_CHECK_MAIN_CLASS = "io.masterwork.worker.SettingsCheckMain";
    /** Not 1, which a JVM that cannot even start its main class exits with too. */
    public static final int EXIT_SETTINGS_REJECTED = 4;

    /** In the configuration JSON: the file the master read (absolute). */
    public static final String CONFIG_FILE_KEY = "masterwork.config_file";
    /**
     * In the configuration JSON: {@code { "<path joined as ConfigUtil.joinPath>": { file, line } }} for every value of
     * the application sections ({@code http}, {@code app}), which JSON cannot carry, so that the worker reports an
     * application's error at the file and line the operator wrote.
     */
    public static final String CONFIG_ORIGINS_KEY = "masterwork.origins";

    /** The command channel, the worker's end of a SOCK_SEQPACKET socketpair. */
    public static final int CHANNEL_FD = 3;
    /** The read end of the worker's sibling inbox: messages from siblings, never commands. */
    public static final int INBOX_FD = 4;
    /** A memfd holding the configuration the master validated, as JSON; the worker never re-reads the file. */
    public static final int CONFIG_FD = 5;
    /** The first listening socket; the n-th is at {@code FIRST_LISTENER_FD + n}. */
    public static final int FIRST_LISTENER_FD = 6;
    public static final int MAX_LISTENERS = 1024;

    /** Program arguments, each {@code --name=number}: a worker gets {@link #SLOT}, a spare {@link #SPARE}. */
    public static final String SLOT = "slot";
    public static final String SPARE = "spare";
    public static final String GENERATION = "generation";
    public static final String MASTER_PID = "master-pid";
    public static final String LISTENERS = "listeners";

    /** Added to the environment the configuration's {@code env} builds; nothing else of the master's crosses. */
    public static final String WORKER_ENVIRONMENT = "MASTERWORK_WORKER=1";
    /**
     * Also added (unless {@code env} sets it): HotSpot's thread suspend/resume signal moved off USR2, as the master's
     * own is, so that a worker can ignore a stray USR2 (with HotSpot's handler on it, one crashed the JVM).
     */
    public static final String SUSPEND_RESUME_SIGNAL = "_JAVA_SR_SIGNUM=40";

    /** QUIT, TERMINATE or a lost master: the master respawns the slot if it still wants it. */
    public static final int EXIT_OK = 0;
    /** nginx's "cannot be respawned": init failed in a way a restart will not fix (an application that cannot start). */
    public static final int EXIT_FATAL = 2;
    /** HotSpot's {@code -XX:+ExitOnOutOfMemoryError}: the heap ran out; a crash, respawned with backoff. */
    public static final int EXIT_OUT_OF_MEMORY = 3;

    private static final byte[] SPARE_READY_PAYLOAD = "spare".getBytes(StandardCharsets.US_ASCII);

    private SpawnContract() {
    }

    /** The program arguments after {@link #WORKER_MAIN_CLASS}: {@code --slot=K} for a worker, {@code --spare=K} for a spare. */
    public static List<String> workerArguments(boolean spare, long number, long generation, int masterPid, int listeners) {
        return List.of(argument(spare ? SPARE : SLOT, number), argument(GENERATION, generation),
                argument(MASTER_PID, masterPid), argument(LISTENERS, listeners));
    }

    private static String argument(String name, long value) {
        return "--" + name + "=" + value;
    }

    /** A spare's READY: initialised, holding the listeners but not accepting, waiting for PROMOTE. */
    public static ChannelFrame spareReady(int pid, long spare) {
        return new ChannelFrame(Command.READY, pid, spare, -1, SPARE_READY_PAYLOAD);
    }

    /** Whether a READY came from a spare (a worker's, a promoted spare's included, has no payload). */
    public static boolean isSpareReady(ChannelFrame frame) {
        return frame.command() == Command.READY && Arrays.equals(frame.payloadUnsafe(), SPARE_READY_PAYLOAD);
    }
}
