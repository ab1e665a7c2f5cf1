package dev.kiln.server.data;

import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Map;
import java.util.Properties;

/**
 * How to open a SQL connection of a data connection: the JDBC URL and the driver properties. Snowflake through its
 * official JDBC driver (account, user, warehouse, database, schema, role; a password, or key-pair authentication with
 * a PKCS#8 private key, encrypted or not), or PostgreSQL by URL. Pure, so it is unit-tested without a Snowflake.
 */
record JdbcSettings(String url, Properties properties) {

    static JdbcSettings of(String kind, Map<String, String> settings, Map<String, String> secret) {
        return switch (kind) {
            case "snowflake" -> snowflake(settings, secret);
            case "postgresql" -> postgresql(settings, secret);
            default -> throw new DataException("Connections of kind '" + kind + "' do not run SQL.");
        };
    }

    static JdbcSettings snowflake(Map<String, String> settings, Map<String, String> secret) {
        String account = settings.getOrDefault("account", "").strip();
        if (!account.matches("[A-Za-z0-9_.-]+")) {
            throw new DataException("Give the Snowflake account identifier, such as xy12345.eu-central-1 or "
                    + "myorg-myaccount.");
        }
        var properties = new Properties();
        properties.put("user", settings.getOrDefault("user", ""));
        for (var name : new String[] {"warehouse", "db", "schema", "role"}) {
            String value = settings.get(name.equals("db") ? "database" : name);
            if (value != null && !value.isBlank()) {
                properties.put(name, value.strip());
            }
        }
        properties.put("application", "Kiln");
        String key = secret.getOrDefault("privateKey", "");
        if (!key.isBlank()) {
            properties.put("authenticator", "SNOWFLAKE_JWT");
            properties.put("privateKey", privateKey(key, secret.getOrDefault("privateKeyPassphrase", "")));
        } else {
            properties.put("password", secret.getOrDefault("password", ""));
        }
        return new JdbcSettings("jdbc:snowflake://" + account + ".snowflakecomputing.com/", properties);
    }

    static JdbcSettings postgresql(Map<String, String> settings, Map<String, String> secret) {
        String url = settings.getOrDefault("url", "").strip();
        if (!url.startsWith("jdbc:postgresql://")) {
            throw new DataException("Give a PostgreSQL JDBC URL, such as jdbc:postgresql://db.example.com:5432/sales.");
        }
        var properties = new Properties();
        properties.put("user", settings.getOrDefault("user", ""));
        properties.put("password", secret.getOrDefault("password", ""));
        properties.put("ApplicationName", "Kiln");
        return new JdbcSettings(url, properties);
    }

    /** A PKCS#8 PEM private key ("BEGIN PRIVATE KEY", or "BEGIN ENCRYPTED PRIVATE KEY" with its passphrase). */
    static PrivateKey privateKey(String pem, String passphrase) {
        boolean encrypted = pem.contains("BEGIN ENCRYPTED PRIVATE KEY");
        if (!encrypted && !pem.contains("BEGIN PRIVATE KEY")) {
            throw new DataException("The private key must be PKCS#8 PEM (-----BEGIN PRIVATE KEY----- or -----BEGIN "
                    + "ENCRYPTED PRIVATE KEY-----); convert an RSA key with openssl pkcs8 -topk8.");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.replaceAll("-----[A-Z ]+-----", "").strip());
        try {
            PKCS8EncodedKeySpec spec;
            if (encrypted) {
                var info = new EncryptedPrivateKeyInfo(der);
                var pbeKey = SecretKeyFactory.getInstance(info.getAlgName())
                        .generateSecret(new PBEKeySpec(passphrase.toCharArray()));
                var cipher = javax.crypto.Cipher.getInstance(info.getAlgName());
                cipher.init(javax.crypto.Cipher.DECRYPT_MODE, pbeKey, info.getAlgParameters());
                spec = info.getKeySpec(cipher);
            } else {
                spec = new PKCS8EncodedKeySpec(der);
            }
            return KeyFactory.getInstance("RSA").generatePrivate(spec);
        } catch (GeneralSecurityException | java.io.IOException e) {
            throw new DataException(encrypted ? "Cannot decrypt the private key: wrong passphrase? (" + e.getMessage()
                    + ")" : "Cannot read the private key: " + e.getMessage());
        }
    }
}
