package io.masterwork.master.control;

import io.masterwork.master.process.MasterView;
import io.masterwork.master.process.SpareWorker;
import io.masterwork.master.process.WorkerSlot;
import io.masterwork.master.process.WorkerState;
import io.masterwork.posix.WaitStatus;

import java.net.Inet6Address;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.Locale;

/** The answer to {@code status}: the master and its process table as one JSON object. */
final class StatusReport {
    private StatusReport() {
    }

    static String render(MasterView master, MasterReports reports, String version, long nowNanos, long nowMillis) {
        Json json = new Json().beginObject()
                .name("pid").number(master.pid())
                .name("version").string(version)
                .name("generation").number(master.generation())
                .name("started_at").string(Instant.ofEpochMilli(master.startedAtMillis()).toString())
                .name("uptime_seconds").seconds(Math.max(0, nowMillis - master.startedAtMillis()) * 1_000_000L)
                .name("listeners").beginArray();
        for (InetSocketAddress address : master.listeners()) {
            json.string(hostPort(address));
        }
        json.endArray()
                .name("desired_workers").number(master.desiredWorkers())
                .name("reloading").bool(master.reloading())
                .name("stopping").bool(master.stopping())
                .name("reloads").number(master.reloads())
                .name("failed_reloads").number(master.failedReloads())
                .name("last_reload").string(master.lastReloadResult())
                .name("respawns_total").number(reports.respawnsTotal())
                .name("workers").beginArray();
        for (WorkerSlot slot : master.workers()) {
            json.beginObject().name("slot").number(slot.slot());
            if (slot.hasProcess()) {
                json.name("pid").number(slot.pid());
            } else {
                json.name("pid").nul();
            }
            json.name("generation").number(slot.generation())
                    .name("state").string(state(slot));
            if (slot.hasProcess()) {
                json.name("uptime_seconds").seconds(slot.uptimeMillis() * 1_000_000L);
            } else {
                json.name("uptime_seconds").nul();
            }
            long sinceHeartbeat = slot.hasProcess() ? slot.millisSinceHeartbeat() : -1;
            if (sinceHeartbeat >= 0) {
                json.name("last_heartbeat_seconds_ago").seconds(sinceHeartbeat * 1_000_000L);
            } else {
                json.name("last_heartbeat_seconds_ago").nul();
            }
            json.name("respawns").number(slot.respawns());
            // Crash-loop backoff: consecutive crashes soon after start, and when the next respawn is due.
            json.name("quick_crashes").number(slot.quickDeaths());
            long respawnIn = slot.respawnInMillis();
            if (respawnIn >= 0) {
                json.name("respawn_in_seconds").seconds(respawnIn * 1_000_000L);
            } else {
                json.name("respawn_in_seconds").nul();
            }
            WaitStatus exit = slot.lastExit();
            json.name("last_exit").string(exit == null ? null : exit.toString());
            figures(json, slot, reports);
            json.endObject();
        }
        json.endArray()
                .name("desired_spares").number(master.desiredSpares())
                .name("spares_reason").string(master.sparesReason())
                .name("spares").beginArray();
        for (SpareWorker spare : master.spares()) {
            // Spares serve no slot and never count as workers: their own list, numbered apart.
            json.beginObject().name("spare").number(spare.number())
                    .name("pid").number(spare.pid())
                    .name("generation").number(spare.generation())
                    .name("state").string(name(spare.state()))
                    .name("uptime_seconds").seconds(spare.uptimeMillis() * 1_000_000L)
                    .endObject();
        }
        json.endArray().name("history").beginArray();
        for (MasterReports.Event event : reports.events()) {
            json.beginObject()
                    .name("at").string(Instant.ofEpochMilli(event.atMillis()).toString())
                    .name("kind").string(event.kind());
            if (event.pid() > 0) {
                json.name("slot").number(event.slotOrGeneration()).name("pid").number(event.pid());
            } else {
                json.name("generation").number(event.slotOrGeneration());
            }
            json.name("outcome").string(event.outcome());
            if (event.seconds() >= 0) {
                json.name("duration_seconds").seconds((long) (event.seconds() * 1e9));
            } else {
                json.name("duration_seconds").nul();
            }
            json.name("detail").string(event.detail()).endObject();
        }
        return json.endArray().endObject().toString();
    }

    /**
     * The worker's figures as the master last heard them (null before it answered a REPORT): the slot's request
     * total (its exited workers added), open connections, heap in use, and whether it answered the last request.
     */
    private static void figures(Json json, WorkerSlot slot, MasterReports reports) {
        MasterReports.Reported r = slot.hasProcess() ? reports.reported(slot.pid()) : null;
        if (r == null || !r.figures().applicationReported()) {
            json.name("requests").nul().name("open_connections").nul();
        } else {
            json.name("requests").number(reports.retired(slot.slot()).requests() + r.figures().requests())
                    .name("open_connections").number(r.figures().openConnections());
        }
        if (r == null) {
            json.name("heap_used_bytes").nul().name("figures_answered").nul();
        } else {
            json.name("heap_used_bytes").number(r.figures().heapUsedBytes())
                    .name("figures_answered").bool(r.answeredLast());
        }
    }

    /** "starting", "ready", "exiting", or "respawning" for a slot whose process is gone and will be replaced. */
    static String state(WorkerSlot slot) {
        return name(slot.state());
    }

    static String name(WorkerState state) {
        return state.name().toLowerCase(Locale.ROOT);
    }

    /** 127.0.0.1:8080, [::1]:8080: the form {@code listen} takes. */
    static String hostPort(InetSocketAddress address) {
        if (address.getAddress() == null) {
            return address.getHostString() + ":" + address.getPort();
        }
        if (address.getAddress() instanceof Inet6Address v6) {
            return "[" + compressed(v6) + "]:" + address.getPort();
        }
        return address.getAddress().getHostAddress() + ":" + address.getPort();
    }

    /** RFC 5952's short form (::1, not 0:0:0:0:0:0:0:1): the longest run of zero groups becomes "::". */
    static String compressed(Inet6Address address) {
        byte[] b = address.getAddress();
        int[] groups = new int[8];
        for (int i = 0; i < 8; i++) {
            groups[i] = ((b[2 * i] & 0xff) << 8) | (b[2 * i + 1] & 0xff);
        }
        int bestStart = -1;
        int bestLength = 1;
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && groups[j] == 0) {
                j++;
            }
            if (j - i > bestLength) {
                bestStart = i;
                bestLength = j - i;
            }
            i = Math.max(i, j);
        }
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            if (i == bestStart) {
                out.append("::");
                i += bestLength - 1;
                continue;
            }
            if (out.length() > 0 && out.charAt(out.length() - 1) != ':') {
                out.append(':');
            }
            out.append(Integer.toHexString(groups[i]));
        }
        return out.toString();
    }

}
