package io.masterwork.master.control;

import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict reader of Prometheus' text format, enough to check ours: every sample line is
 * {@code name{labels} value} with a numeric value, and every metric has its HELP and TYPE first.
 */
final class PrometheusText {
    private static final Pattern SAMPLE = Pattern.compile(
            "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\.)*\"(,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\.)*\")*)?\\})? (\\S+)");
    private static final Pattern HELP = Pattern.compile("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+");
    private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)");

    private PrometheusText() {
    }

    /** Series (name plus labels as written) to value; throws IllegalArgumentException naming the bad line. */
    static Map<String, Double> parse(String text) {
        Map<String, Double> samples = new LinkedHashMap<>();
        Set<String> helped = new HashSet<>();
        Set<String> typed = new HashSet<>();
        int n = 0;
        for (String line : text.split("\n", -1)) {
            n++;
            if (line.isEmpty()) {
                if (n == text.split("\n", -1).length) {
                    continue;
                }
                throw new IllegalArgumentException("line " + n + " is empty");
            }
            Matcher m;
            if (line.startsWith("# HELP")) {
                if (!(m = HELP.matcher(line)).matches()) {
                    throw new IllegalArgumentException("line " + n + ": bad HELP: " + line);
                }
                helped.add(m.group(1));
            } else if (line.startsWith("# TYPE")) {
                if (!(m = TYPE.matcher(line)).matches()) {
                    throw new IllegalArgumentException("line " + n + ": bad TYPE: " + line);
                }
                if (!helped.contains(m.group(1))) {
                    throw new IllegalArgumentException("line " + n + ": TYPE before HELP for " + m.group(1));
                }
                typed.add(m.group(1));
            } else if (line.startsWith("#")) {
                continue;
            } else {
                if (!(m = SAMPLE.matcher(line)).matches()) {
                    throw new IllegalArgumentException("line " + n + " is not name{labels} value: " + line);
                }
                // A histogram's samples carry its name with _bucket, _sum or _count.
                String family = m.group(1).replaceFirst("_(bucket|sum|count)$", "");
                if (!typed.contains(m.group(1)) && !typed.contains(family)) {
                    throw new IllegalArgumentException("line " + n + ": " + m.group(1) + " has no HELP/TYPE before it");
                }
                double value;
                try {
                    value = Double.parseDouble(m.group(m.groupCount()));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("line " + n + ": value is not a number: " + line);
                }
                String series = line.substring(0, line.lastIndexOf(' '));
                if (samples.put(series, value) != null) {
                    throw new IllegalArgumentException("line " + n + ": duplicate series " + series);
                }
            }
        }
        return samples;
    }
}
