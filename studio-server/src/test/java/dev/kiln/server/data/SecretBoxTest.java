package dev.kiln.server.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SecretBoxTest {

    @Test
    void roundTripsWithoutTheSecretInTheStoredForm(@TempDir Path data) throws Exception {
        var box = SecretBox.fromConfiguration(null, data);
        String stored = box.encrypt("{\"secretAccessKey\":\"wJalrXUtnFEMI/K7MDENG\"}", "studio-1/conn-1");
        assertThat(stored).startsWith("v1:").doesNotContain("wJalrXUtnFEMI");
        assertThat(box.encrypt("same", "c")).isNotEqualTo(box.encrypt("same", "c")); // a fresh nonce each time
        assertThat(box.decrypt(stored, "studio-1/conn-1")).contains("wJalrXUtnFEMI/K7MDENG");
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(data.resolve("secret.key"))))
                .isEqualTo("rw-------");
        assertThat(SecretBox.fromConfiguration(null, data).decrypt(stored, "studio-1/conn-1")).as("the same key file")
                .contains("wJalrXUtnFEMI");
    }

    @Test
    void aWrongKeyOrAnotherRowFailsClearly(@TempDir Path data) {
        String stored = SecretBox.fromConfiguration(null, data).encrypt("secret", "studio-1/conn-1");
        var other = SecretBox.fromConfiguration(Base64.getEncoder().encodeToString(new byte[32]), data);
        assertThatThrownBy(() -> other.decrypt(stored, "studio-1/conn-1"))
                .hasMessageContaining("cannot be decrypted with this server's secret key");
        assertThatThrownBy(() -> SecretBox.fromConfiguration(null, data).decrypt(stored, "studio-2/conn-1"))
                .hasMessageContaining("cannot be decrypted");
        assertThatThrownBy(() -> SecretBox.fromConfiguration("c2hvcnQ=", data)).hasMessageContaining("32 bytes");
    }
}
