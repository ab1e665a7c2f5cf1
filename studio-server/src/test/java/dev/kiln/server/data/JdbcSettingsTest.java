package dev.kiln.server.data;

import org.junit.jupiter.api.Test;

import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.crypto.spec.PBEParameterSpec;
import java.security.AlgorithmParameters;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Snowflake's JDBC URL and driver properties, password and key-pair, without a Snowflake account. */
class JdbcSettingsTest {

    @Test
    void snowflakeWithAPassword() {
        var settings = JdbcSettings.of("snowflake", Map.of("account", "xy12345.eu-central-1", "user", "KILN",
                "warehouse", "COMPUTE_WH", "database", "SALES", "schema", "PUBLIC", "role", "ANALYST"),
                Map.of("password", "s3cret"));
        assertThat(settings.url()).isEqualTo("jdbc:snowflake://xy12345.eu-central-1.snowflakecomputing.com/");
        assertThat(settings.properties()).containsEntry("user", "KILN").containsEntry("warehouse", "COMPUTE_WH")
                .containsEntry("db", "SALES").containsEntry("schema", "PUBLIC").containsEntry("role", "ANALYST")
                .containsEntry("password", "s3cret").containsEntry("application", "Kiln")
                .doesNotContainKey("authenticator");
    }

    @Test
    void snowflakeWithAKeyPairPlainOrEncrypted() throws Exception {
        PrivateKey key = rsaKey();
        String plain = pem(key);
        var settings = JdbcSettings.of("snowflake", Map.of("account", "myorg-myaccount", "user", "KILN"),
                Map.of("privateKey", plain));
        assertThat(settings.properties()).containsEntry("authenticator", "SNOWFLAKE_JWT").doesNotContainKey("password");
        assertThat(((PrivateKey) settings.properties().get("privateKey")).getEncoded()).isEqualTo(key.getEncoded());

        // openssl pkcs8 -topk8 -v1 PBE-SHA1-3DES style encryption, made with the JDK.
        String algorithm = "PBEWithSHA1AndDESede";
        var params = new PBEParameterSpec(new byte[] {1, 2, 3, 4, 5, 6, 7, 8}, 2048);
        var cipher = Cipher.getInstance(algorithm);
        cipher.init(Cipher.ENCRYPT_MODE, SecretKeyFactory.getInstance(algorithm)
                .generateSecret(new PBEKeySpec("passphrase".toCharArray())), params);
        var algParams = AlgorithmParameters.getInstance(algorithm);
        algParams.init(params);
        String encrypted = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(
                new EncryptedPrivateKeyInfo(algParams, cipher.doFinal(key.getEncoded())).getEncoded())
                + "\n-----END ENCRYPTED PRIVATE KEY-----\n";
        var decrypted = JdbcSettings.of("snowflake", Map.of("account", "myorg-myaccount"),
                Map.of("privateKey", encrypted, "privateKeyPassphrase", "passphrase"));
        assertThat(((PrivateKey) decrypted.properties().get("privateKey")).getEncoded()).isEqualTo(key.getEncoded());
        assertThatThrownBy(() -> JdbcSettings.of("snowflake", Map.of("account", "myorg-myaccount"),
                Map.of("privateKey", encrypted, "privateKeyPassphrase", "wrong"))).hasMessageContaining("wrong passphrase");
    }

    @Test
    void badInputIsRefusedWithTheReason() {
        assertThatThrownBy(() -> JdbcSettings.of("snowflake", Map.of("account", "https://x.snowflakecomputing.com"),
                Map.of())).hasMessageContaining("account identifier");
        assertThatThrownBy(() -> JdbcSettings.of("snowflake", Map.of("account", "a"),
                Map.of("privateKey", "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----")))
                .hasMessageContaining("PKCS#8");
        assertThatThrownBy(() -> JdbcSettings.of("postgresql", Map.of("url", "jdbc:mysql://x/db"), Map.of()))
                .hasMessageContaining("PostgreSQL JDBC URL");
    }

    @Test
    void aPostgresqlUrlIsRewrittenWithItsHarmlessParametersAsPropertiesAndNothingElse() {
        var settings = JdbcSettings.of("postgresql", Map.of("url",
                "jdbc:postgresql://db.example.com:6543/sales%20db?sslmode=require&currentSchema=mart", "user", "ana"),
                Map.of("password", "pw"));
        assertThat(settings.url()).isEqualTo("jdbc:postgresql://db.example.com:6543/sales%20db");
        assertThat(settings.properties()).containsEntry("sslmode", "require").containsEntry("currentSchema", "mart")
                .containsEntry("user", "ana").containsEntry("password", "pw");
        assertThat(settings.target()).isEqualTo(new EndpointGuard.Target("db.example.com", 6543));
        assertThat(JdbcSettings.of("postgresql", Map.of("url", "jdbc:postgresql://[::1]/x", "user", "u"), Map.of())
                .target()).isEqualTo(new EndpointGuard.Target("::1", 5432));
        // No password given is still a password: else the driver reads the server's ~/.pgpass.
        assertThat(JdbcSettings.of("postgresql", Map.of("url", "jdbc:postgresql://h/x", "user", "u"), Map.of())
                .properties()).containsEntry("password", "");

        // Parameters that load classes, read the server's files or set Kiln's timeouts are refused.
        for (String parameter : new String[] {"socketFactory=evil.Factory", "sslfactory=evil.Factory",
                "sslhostnameverifier=x", "authenticationPluginClassName=x", "loggerFile=/tmp/x", "sslkey=/root/k",
                "sslrootcert=/etc/shadow", "socketTimeout=0", "connectTimeout=0", "loginTimeout=0", "service=prod",
                "options=-c%20statement_timeout=0", "SocketFactory=x"}) {
            assertThatThrownBy(() -> JdbcSettings.of("postgresql", Map.of("url", "jdbc:postgresql://h:5432/db?"
                    + parameter, "user", "u"), Map.of())).as(parameter)
                    .hasMessageContaining("Kiln does not take the URL parameter");
        }
        assertThatThrownBy(() -> JdbcSettings.of("postgresql", Map.of("url",
                "jdbc:postgresql://a:5432,b:5432/db", "user", "u"), Map.of())).hasMessageContaining("one host");
        assertThatThrownBy(() -> JdbcSettings.of("postgresql", Map.of("url", "jdbc:postgresql://h/db"), Map.of()))
                .hasMessageContaining("Give the database user");
    }

    /** A fresh 2048-bit RSA private key, as a Snowflake key pair uses. */
    static PrivateKey rsaKey() throws java.security.GeneralSecurityException {
        var generator = KeyPairGenerator.getInstance("RSA");
        generator.initialize(2048);
        return generator.generateKeyPair().getPrivate();
    }

    /** The key as unencrypted PKCS#8 PEM. */
    static String pem(PrivateKey key) {
        return "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder().encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }
}
