package io.masterwork.master.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.mindrot.jbcrypt.BCrypt;

/**
 * An htpasswd file as Apache's {@code htpasswd} writes it: {@code user:hash} lines, the hash bcrypt
 * ({@code htpasswd -B}: {@code $2y$}, also {@code $2a$} and {@code $2b$}) or {@code {SHA}} ({@code htpasswd -s}:
 * base64 of the password's SHA-1). Other schemes (Apache's MD5 {@code $apr1$}, crypt, plain text) are refused at
 * start with the line that holds one: a file the master cannot check would lock everyone out, or worse, in.
 */
public final class Htpasswd {
    private final Map<String, String> hashByUser;

    private Htpasswd(Map<String, String> hashByUser) {
        this.hashByUser = hashByUser;
    }

    /** Reads and checks the file; a line it cannot use is an IllegalArgumentException naming the file and line. */
    public static Htpasswd read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalArgumentException("cannot read " + file + ": " + e.getMessage(), e);
        }
        Map<String, String> users = new LinkedHashMap<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i).strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            String where = file + ":" + (i + 1) + ": ";
            int colon = line.indexOf(':');
            if (colon <= 0) {
                throw new IllegalArgumentException(where + "expected \"user:hash\"");
            }
            String user = line.substring(0, colon);
            String hash = line.substring(colon + 1);
            if (!isBcrypt(hash) && !hash.startsWith("{SHA}")) {
                throw new IllegalArgumentException(where + "the hash of \"" + user + "\" is neither bcrypt ($2y$, as "
                        + "htpasswd -B writes) nor {SHA} (htpasswd -s); other schemes are not supported");
            }
            if (hash.startsWith("{SHA}") && decodedLength(hash.substring(5)) != 20) {
                throw new IllegalArgumentException(where + "the {SHA} hash of \"" + user + "\" is not base64 of 20 bytes");
            }
            if (users.put(user, hash) != null) {
                throw new IllegalArgumentException(where + "user \"" + user + "\" appears twice");
            }
        }
        if (users.isEmpty()) {
            throw new IllegalArgumentException(file + ": no user in it: nobody could open the page");
        }
        return new Htpasswd(users);
    }

    private static boolean isBcrypt(String hash) {
        return hash.length() == 60 && (hash.startsWith("$2y$") || hash.startsWith("$2a$") || hash.startsWith("$2b$"));
    }

    private static int decodedLength(String base64) {
        try {
            return Base64.getDecoder().decode(base64).length;
        } catch (IllegalArgumentException e) {
            return -1;
        }
    }

    public int users() {
        return hashByUser.size();
    }

    /** Whether {@code password} is {@code user}'s. Costs a bcrypt round for bcrypt lines: callers cache. */
    public boolean matches(String user, String password) {
        String hash = hashByUser.get(user);
        if (hash == null) {
            return false;
        }
        if (hash.startsWith("{SHA}")) {
            byte[] expected = Base64.getDecoder().decode(hash.substring(5));
            return MessageDigest.isEqual(expected, sha1(password));
        }
        // $2y$ and $2b$ are $2a$ with another name (PHP's and OpenBSD's fixes of other implementations' bugs);
        // jBCrypt reads only $2a$.
        try {
            return BCrypt.checkpw(password, "$2a$" + hash.substring(4));
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    private static byte[] sha1(String password) {
        try {
            return MessageDigest.getInstance("SHA-1").digest(password.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-1 is part of every JDK", e);
        }
    }
}
