package io.masterwork.worker.log;

import org.slf4j.Marker;
import org.slf4j.MarkerFactory;

/** nginx's levels above {@code error}, which SLF4J lacks: log at ERROR with one of these markers. */
public final class Markers {
    /** nginx's {@code alert}: something is wrong and was worked around (a limit not raised...). */
    public static final Marker ALERT = MarkerFactory.getMarker("alert");
    /** nginx's {@code emerg}: the process cannot go on. */
    public static final Marker EMERG = MarkerFactory.getMarker("emerg");

    private Markers() {
    }
}
