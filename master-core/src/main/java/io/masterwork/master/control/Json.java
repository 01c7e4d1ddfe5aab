package io.masterwork.master.control;

/**
 * Just enough JSON writing for the control socket's answers: objects keep the order their fields were
 * written in (a person reads {@code status --json} too), strings are escaped per RFC 8259.
 */
final class Json {
    private final StringBuilder out = new StringBuilder();
    /** Whether the next value in the current object or array needs a comma before it. */
    private boolean needsComma;

    Json beginObject() {
        value();
        out.append('{');
        needsComma = false;
        return this;
    }

    Json endObject() {
        out.append('}');
        needsComma = true;
        return this;
    }

    Json beginArray() {
        value();
        out.append('[');
        needsComma = false;
        return this;
    }

    Json endArray() {
        out.append(']');
        needsComma = true;
        return this;
    }

    /** The name of the field whose value comes next. */
    Json name(String name) {
        if (needsComma) {
            out.append(',');
        }
        quote(name);
        out.append(':');
        needsComma = false;
        return this;
    }

    Json string(String s) {
        value();
        if (s == null) {
            out.append("null");
        } else {
            quote(s);
        }
        needsComma = true;
        return this;
    }

    Json number(long n) {
        value();
        out.append(n);
        needsComma = true;
        return this;
    }

    /** Seconds with millisecond precision, e.g. 12.345. */
    Json seconds(long nanos) {
        value();
        out.append(nanos / 1_000_000_000L).append('.').append(String.format("%03d", (nanos / 1_000_000L) % 1000));
        needsComma = true;
        return this;
    }

    Json bool(boolean b) {
        value();
        out.append(b);
        needsComma = true;
        return this;
    }

    Json nul() {
        value();
        out.append("null");
        needsComma = true;
        return this;
    }

    private void value() {
        if (needsComma) {
            out.append(',');
        }
    }

    private void quote(String s) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20 || c == 0x2028 || c == 0x2029) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
