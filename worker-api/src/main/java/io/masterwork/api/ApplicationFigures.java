package io.masterwork.api;

/**
 * What an application tells the master about its work when the master asks (a scrape of its {@code /metrics}):
 * counts since this worker started. The master adds the last figures of every worker that exited, so its per-slot
 * request counter never goes backwards when a worker is replaced.
 *
 * @param requests           requests received
 * @param openConnections    client connections open now
 * @param connectionsMoved   connections moved away to a successor by live handover
 * @param connectionsAdopted connections taken in from a retiring sibling
 */
public record ApplicationFigures(long requests, long openConnections, long connectionsMoved, long connectionsAdopted) {
    /**
     * Checks the figures.
     *
     * @param requests           requests received
     * @param openConnections    client connections open now
     * @param connectionsMoved   connections moved away to a successor by live handover
     * @param connectionsAdopted connections taken in from a retiring sibling
     * @throws IllegalArgumentException when any figure is negative (they are counts)
     */
    public ApplicationFigures {
        if (requests < 0 || openConnections < 0 || connectionsMoved < 0 || connectionsAdopted < 0) {
            throw new IllegalArgumentException("application figures are counts, none negative: " + requests + ", "
                    + openConnections + ", " + connectionsMoved + ", " + connectionsAdopted);
        }
    }
}
