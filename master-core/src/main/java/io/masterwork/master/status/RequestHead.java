package io.masterwork.master.status;

import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The head of one HTTP/1.x request, parsed strictly enough for the status page: a request line of method, origin-form
 * target and version, then header lines. Only what the page needs is kept (method, path, Authorization); a body is
 * refused. A malformed head is an {@link IllegalArgumentException} whose message the client sees with a 400.
 */
record RequestHead(String method, String path, String authorization) {
    /** The end of the head in {@code bytes[0..length)}, just past CRLF CRLF (or LF LF), or -1 when not yet there. */
    static int end(byte[] bytes, int length) {
        for (int i = 0; i < length; i++) {
            if (bytes[i] == '\n') {
                if (i + 1 < length && bytes[i + 1] == '\n') {
                    return i + 2;
                }
                if (i + 2 < length && bytes[i + 1] == '\r' && bytes[i + 2] == '\n') {
                    return i + 3;
                }
            }
        }
        return -1;
    }

    static RequestHead parse(byte[] bytes, int length) {
        String text = new String(bytes, 0, length, StandardCharsets.ISO_8859_1);
        String[] lines = text.split("\r?\n");
        if (lines.length == 0 || lines[0].isEmpty()) {
            throw new IllegalArgumentException("empty request line");
        }
        String[] parts = lines[0].split(" ", -1);
        if (parts.length != 3 || parts[0].isEmpty() || parts[1].isEmpty()) {
            throw new IllegalArgumentException("malformed request line");
        }
        if (!parts[2].equals("HTTP/1.1") && !parts[2].equals("HTTP/1.0")) {
            throw new IllegalArgumentException("unsupported protocol version");
        }
        String target = parts[1];
        if (!target.startsWith("/")) {
            throw new IllegalArgumentException("the request target must be a path");
        }
        int query = target.indexOf('?');
        String path = query < 0 ? target : target.substring(0, query);
        String authorization = null;
        for (int i = 1; i < lines.length; i++) {
            String line = lines[i];
            if (line.isEmpty()) {
                break;
            }
            int colon = line.indexOf(':');
            if (colon <= 0 || line.charAt(colon - 1) == ' ' || line.charAt(0) == ' ' || line.charAt(0) == '\t') {
                throw new IllegalArgumentException("malformed header line");
            }
            String name = line.substring(0, colon).toLowerCase(Locale.ROOT);
            String value = line.substring(colon + 1).trim();
            switch (name) {
                case "authorization" -> {
                    if (authorization != null) {
                        throw new IllegalArgumentException("more than one Authorization header");
                    }
                    authorization = value;
                }
                case "content-length" -> {
                    if (!value.equals("0")) {
                        throw new IllegalArgumentException("the status page takes no request body");
                    }
                }
                case "transfer-encoding" -> throw new IllegalArgumentException("the status page takes no request body");
                default -> {
                    // the page needs no other header
                }
            }
        }
        return new RequestHead(parts[0], path, authorization);
    }
}
