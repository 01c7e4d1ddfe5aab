package io.masterwork.master.control;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The control socket's line protocol: one command per line (LF, or CRLF), one answer per command, and
 * every answer ends with an empty line so that a client knows where it stops. Data is JSON (status,
 * reload) or Prometheus text (metrics); a refusal is one line starting with {@code error:}.
 */
public final class ControlProtocol {
    /** A command line longer than this (without its newline) ends the connection. */
    public static final int MAX_LINE_BYTES = 4096;

    /** What a client may ask. */
    public enum Command {
        STATUS, METRICS, RELOAD, REOPEN, QUIT, STOP,
        /** {@code workers N}: the serving generation's worker count, as TTIN/TTOU change it by one. */
        WORKERS;

        public String word() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** A parsed line: a command, nothing (an empty line is ignored), or the error to answer. */
    public record Request(Command command, int argument, String error) {
        public boolean isEmpty() {
            return command == null && error == null;
        }
    }

    private ControlProtocol() {
    }

    static String knownCommands() {
        return Arrays.stream(Command.values()).map(c -> c == Command.WORKERS ? "workers N" : c.word())
                .collect(Collectors.joining(", "));
    }

    /** One line as received, without its LF. */
    public static Request parse(byte[] line) {
        String text = new String(line, StandardCharsets.UTF_8);
        if (text.endsWith("\r")) {
            text = text.substring(0, text.length() - 1);
        }
        String[] words = text.strip().split("[ \t]+");
        if (words[0].isEmpty()) {
            return new Request(null, 0, null);
        }
        for (Command c : Command.values()) {
            if (!c.word().equalsIgnoreCase(words[0])) {
                continue;
            }
            if (c != Command.WORKERS) {
                return words.length == 1 ? new Request(c, 0, null)
                        : new Request(null, 0, "\"" + c.word() + "\" takes no argument");
            }
            if (words.length != 2 || !words[1].matches("\\d{1,4}")) {
                return new Request(null, 0, "expected \"workers N\" with N a number of workers, got \""
                        + printable(text.strip(), 64) + "\"");
            }
            return new Request(c, Integer.parseInt(words[1]), null);
        }
        return new Request(null, 0, "unknown command \"" + printable(text.strip(), 64) + "\" (expected one of: "
                + knownCommands() + ")");
    }

    /** An error answer: one line, then the empty line. */
    public static String error(String message) {
        return "error: " + printable(message, 1024) + "\n\n";
    }

    /** A short success answer. */
    public static String ok(String message) {
        return "ok: " + printable(message, 1024) + "\n\n";
    }

    /** A data answer (JSON or Prometheus text): the text, a newline if it lacks one, then the empty line. */
    public static String data(String text) {
        return text.endsWith("\n") ? text + "\n" : text + "\n\n";
    }

    /**
     * The text with control characters and non-ASCII shown as \xNN escapes and cut at {@code max} characters:
     * what a client sent is echoed in an error line, and must not become several lines or a terminal escape.
     */
    static String printable(String text, int max) {
        StringBuilder out = new StringBuilder();
        int i = 0;
        for (; i < text.length() && out.length() < max; i++) {
            char c = text.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                out.append(c);
            } else if (c < 0x100) {
                out.append(String.format("\\x%02x", (int) c));
            } else {
                out.append(String.format("\\u%04x", (int) c));
            }
        }
        if (i < text.length()) {
            out.append("...");
        }
        return out.toString();
    }
}
