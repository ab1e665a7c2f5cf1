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
 * How to open a SQL connection of a data connection: the kind, the JDBC URL, the driver properties and the host it
 * reaches. Snowflake through its official JDBC driver (account, user, warehouse, database, schema, role; a password,
 * or key-pair authentication with a PKCS#8 private key, encrypted or not), or PostgreSQL by URL. A PostgreSQL URL is
 * taken apart and written again with nothing after the database: its few harmless parameters become properties,
 * and any other is refused, because pgjdbc's URL parameters can name classes to load, files of the server to read
 * and the timeouts Kiln sets. Pure, so it is unit-tested without a database.
 */
record JdbcSettings(String kind, String url, Properties properties, EndpointGuard.Target target) {
    /** PostgreSQL URL parameters a user may set; anything else is refused. */
    static final java.util.Set<String> POSTGRESQL_PARAMETERS = java.util.Set.of("sslmode", "ssl", "currentSchema",
            "prepareThreshold", "binaryTransfer");
    private static final java.util.regex.Pattern POSTGRESQL_URL = java.util.regex.Pattern.compile(
            "jdbc:postgresql://(\\[[0-9A-Fa-f:.]+]|[A-Za-z0-9._-]+)(?::(\\d{1,5}))?(?:/([^?/#]*))?(?:\\?(.*))?");

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
        String host = account + ".snowflakecomputing.com";
        return new JdbcSettings("snowflake", "jdbc:snowflake://" + host + "/", properties,
                new EndpointGuard.Target(host, 443));
    }

    static JdbcSettings postgresql(Map<String, String> settings, Map<String, String> secret) {
        String url = settings.getOrDefault("url", "").strip();
        var matcher = POSTGRESQL_URL.matcher(url);
        if (!url.startsWith("jdbc:postgresql://")) {
            throw new DataException("Give a PostgreSQL JDBC URL, such as jdbc:postgresql://db.example.com:5432/sales.");
        }
        if (!matcher.matches()) {
            throw new DataException("Give one host in the PostgreSQL JDBC URL, as jdbc:postgresql://host[:port]/database"
                    + "[?sslmode=require], such as jdbc:postgresql://db.example.com:5432/sales.");
        }
        String host = matcher.group(1);
        int port = matcher.group(2) == null ? 5432 : Integer.parseInt(matcher.group(2));
        if (port < 1 || port > 65535) {
            throw new DataException("The port in the JDBC URL must be 1 to 65535.");
        }
        String database = matcher.group(3) == null ? "" : matcher.group(3);
        var properties = new Properties();
        if (matcher.group(4) != null && !matcher.group(4).isEmpty()) {
            for (String parameter : matcher.group(4).split("&")) {
                int equals = parameter.indexOf('=');
                String name = java.net.URLDecoder.decode(equals < 0 ? parameter : parameter.substring(0, equals),
                        java.nio.charset.StandardCharsets.UTF_8);
                String value = equals < 0 ? "" : java.net.URLDecoder.decode(parameter.substring(equals + 1),
                        java.nio.charset.StandardCharsets.UTF_8);
                if (!POSTGRESQL_PARAMETERS.contains(name)) {
                    throw new DataException("Kiln does not take the URL parameter '" + dev.kiln.server.config.LogText.clean(name)
                            + "'; it accepts " + String.join(", ", new java.util.TreeSet<>(POSTGRESQL_PARAMETERS))
                            + ".");
                }
                properties.put(name, value);
            }
        }
        String user = settings.getOrDefault("user", "").strip();
        if (user.isEmpty()) {
            // Without one, the driver would log in as the server's own operating-system user.
            throw new DataException("Give the database user.");
        }
        properties.put("user", user);
        // Always set, even empty: without a password the driver looks for one in the server's ~/.pgpass.
        properties.put("password", secret.getOrDefault("password", ""));
        properties.put("ApplicationName", "Kiln");
        return new JdbcSettings("postgresql", "jdbc:postgresql://" + host + ":" + port + "/"
                + java.net.URLEncoder.encode(java.net.URLDecoder.decode(database,
                java.nio.charset.StandardCharsets.UTF_8), java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20"),
                properties, new EndpointGuard.Target(host.startsWith("[") ? host.substring(1, host.length() - 1) : host,
                port));
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
