package io.masterwork.master.cli;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigSyntax;

import java.util.ArrayList;
import java.util.List;

/** {@code masterwork status} for a person: the control socket's JSON as a heading and a table of workers. */
final class StatusTable {
    private StatusTable() {
    }

    static String render(String json) {
        Config s = ConfigFactory.parseString(json, ConfigParseOptions.defaults().setSyntax(ConfigSyntax.JSON));
        StringBuilder out = new StringBuilder();
        out.append("master ").append(s.getInt("pid")).append(", masterwork ").append(s.getString("version"))
                .append(", generation ").append(s.getLong("generation"))
                .append(", up ").append(duration(s.getDouble("uptime_seconds")));
        if (s.getBoolean("stopping")) {
            out.append(", stopping");
        } else if (s.getBoolean("reloading")) {
            out.append(", reloading");
        }
        out.append('\n');
        out.append("listening on ").append(String.join(", ", s.getStringList("listeners"))).append('\n');
        out.append("reloads ").append(s.getLong("reloads")).append(" (").append(s.getLong("failed_reloads"))
                .append(" failed), last reload: ").append(s.getString("last_reload"))
                .append("; respawns ").append(s.getLong("respawns_total")).append('\n');
        if (s.hasPath("desired_spares") && s.hasPath("spares_reason")) {
            out.append("spares wanted ").append(s.getInt("desired_spares")).append(": ").append(s.getString("spares_reason"))
                    .append('\n');
        }
        out.append('\n');
        List<String[]> rows = new ArrayList<>();
        rows.add(new String[] {"SLOT", "PID", "GEN", "STATE", "UPTIME", "HEARTBEAT", "RESPAWNS", "LAST EXIT"});
        for (Config w : s.getConfigList("workers")) {
            rows.add(new String[] {
                    String.valueOf(w.getInt("slot")),
                    w.getIsNull("pid") ? "-" : String.valueOf(w.getInt("pid")),
                    String.valueOf(w.getLong("generation")),
                    w.getString("state"),
                    w.getIsNull("uptime_seconds") ? "-" : duration(w.getDouble("uptime_seconds")),
                    !w.hasPath("last_heartbeat_seconds_ago") || w.getIsNull("last_heartbeat_seconds_ago") ? "-"
                            : String.format(java.util.Locale.ROOT, "%.1fs ago", w.getDouble("last_heartbeat_seconds_ago")),
                    String.valueOf(w.getInt("respawns")),
                    w.getIsNull("last_exit") ? "-" : w.getString("last_exit")});
        }
        int serving = rows.size();
        if (s.hasPath("spares")) {
            for (Config spare : s.getConfigList("spares")) {
                rows.add(new String[] {
                        "spare " + spare.getInt("spare"),
                        String.valueOf(spare.getInt("pid")),
                        String.valueOf(spare.getLong("generation")),
                        spare.getString("state"),
                        duration(spare.getDouble("uptime_seconds")),
                        "-", "-", "-"});
            }
        }
        int[] widths = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                line.append(i == row.length - 1 ? row[i] : String.format("%-" + (widths[i] + 2) + "s", row[i]));
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
        if (serving == 1) {
            out.append("(no workers)\n");
        }
        return out.toString();
    }

    /** 3d 4h, 2h 5m, 4m 10s, 12s: the two largest units, as a person reads an uptime. */
    static String duration(double seconds) {
        long s = (long) seconds;
        long d = s / 86400;
        long h = (s % 86400) / 3600;
        long m = (s % 3600) / 60;
        long sec = s % 60;
        if (d > 0) {
            return d + "d " + h + "h";
        }
        if (h > 0) {
            return h + "h " + m + "m";
        }
        if (m > 0) {
            return m + "m " + sec + "s";
        }
        return sec + "s";
    }
}
