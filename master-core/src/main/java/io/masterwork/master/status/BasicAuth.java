package io.masterwork.master.status;

import io.masterwork.master.config.Htpasswd;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * HTTP basic authentication against an {@link Htpasswd} file, on the master's loop. A bcrypt check takes
 * milliseconds (tens at a high cost): each distinct Authorization value is checked once and its verdict kept (the
 * last {@link #REMEMBERED} of them), so a page polling every two seconds costs one check, not one per poll, and a
 * client repeating a wrong password cannot make the master hash it again and again.
 */
final class BasicAuth {
    static final int REMEMBERED = 256;
    static final String CHALLENGE = "Basic realm=\"masterwork status\", charset=\"UTF-8\"";

    private final Htpasswd users;
    private final Map<String, Boolean> verdicts = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
            return size() > REMEMBERED;
        }
    };

    BasicAuth(Htpasswd users) {
        this.users = users;
    }

    /** Whether the request's Authorization header names a user of the file with the right password. */
    boolean allows(String authorization) {
        if (authorization == null || !authorization.regionMatches(true, 0, "Basic ", 0, 6)) {
            return false;
        }
        return verdicts.computeIfAbsent(authorization, this::check);
    }

    private boolean check(String authorization) {
        String decoded;
        try {
            decoded = new String(Base64.getDecoder().decode(authorization.substring(6).trim()), StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return false;
        }
        int colon = decoded.indexOf(':');
        return colon > 0 && users.matches(decoded.substring(0, colon), decoded.substring(colon + 1));
    }
}
