package io.masterwork.master.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.mindrot.jbcrypt.BCrypt;

/** status_auth's htpasswd file: bcrypt under all three of its names and {SHA} are taken; nothing else is. */
class HtpasswdTest {
    @TempDir
    Path dir;

    private Path file(String content) throws Exception {
        return Files.writeString(dir.resolve("htpasswd"), content);
    }

    @Test
    void bcryptAsHtpasswdWritesItAndShaLinesMatchTheirPasswordOnly() throws Exception {
        String bcrypt = BCrypt.hashpw("s3cret", BCrypt.gensalt(4)); // $2a$04$...
        Htpasswd users = Htpasswd.read(file("# operators\n"
                + "alice:" + "$2y$" + bcrypt.substring(4) + "\n"
                + "bob:$2b$" + bcrypt.substring(4) + "\n"
                // htpasswd -bs: {SHA} + base64(SHA-1("password"))
                + "carol:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n"));
        assertThat(users.users()).isEqualTo(3);
        assertThat(users.matches("alice", "s3cret")).isTrue();
        assertThat(users.matches("alice", "s3cret ")).isFalse();
        assertThat(users.matches("bob", "s3cret")).isTrue();
        assertThat(users.matches("carol", "password")).isTrue();
        assertThat(users.matches("carol", "Password")).isFalse();
        assertThat(users.matches("dave", "s3cret")).isFalse();
    }

    @Test
    void otherSchemesBadLinesAndEmptyFilesAreRefusedWithTheLine() throws Exception {
        assertThatThrownBy(() -> Htpasswd.read(file("a:$apr1$abc$defghijklmnopqrstuvwx.\n")))
                .hasMessageContaining("htpasswd:1").hasMessageContaining("neither bcrypt");
        assertThatThrownBy(() -> Htpasswd.read(file("\nplain:secret\n"))).hasMessageContaining("htpasswd:2");
        assertThatThrownBy(() -> Htpasswd.read(file("nocolon\n"))).hasMessageContaining("expected \"user:hash\"");
        assertThatThrownBy(() -> Htpasswd.read(file("a:{SHA}short\n"))).hasMessageContaining("not base64 of 20 bytes");
        assertThatThrownBy(() -> Htpasswd.read(file("a:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\na:{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=\n")))
                .hasMessageContaining("appears twice");
        assertThatThrownBy(() -> Htpasswd.read(file("# nobody\n"))).hasMessageContaining("no user in it");
    }
}
