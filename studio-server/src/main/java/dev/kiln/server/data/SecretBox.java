package dev.kiln.server.data;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;

/**
 * Encrypts credentials at rest with AES-256-GCM. The key comes from configuration ({@code KILN_SECRET_KEY}, base64 of
 * 32 bytes, for example from a Kubernetes Secret) or, on the embedded defaults, from {@code <data>/secret.key}, made
 * on first use and readable by its owner only. Each value gets a fresh 96-bit nonce; the studio and connection ids
 * are bound as associated data, so a ciphertext copied to another row does not decrypt.
 */
public final class SecretBox {
    private static final String VERSION = "v1:";
    private static final int NONCE = 12;
    private final SecretKeySpec key;
    private final SecureRandom random = new SecureRandom();

    SecretBox(byte[] key) {
        if (key.length != 32) {
            throw new IllegalArgumentException("The secret key must be 32 bytes (base64 of 32 random bytes); it has "
                    + key.length);
        }
        this.key = new SecretKeySpec(key, "AES");
    }

    /** The configured key, or the data directory's key file (created if missing). */
    static SecretBox fromConfiguration(String base64Key, Path dataDir) {
        if (base64Key != null && !base64Key.isBlank()) {
            return new SecretBox(Base64.getDecoder().decode(base64Key.strip()));
        }
        Path file = dataDir.resolve("secret.key");
        try {
            if (!Files.exists(file)) {
                Files.createDirectories(dataDir);
                byte[] fresh = new byte[32];
                new SecureRandom().nextBytes(fresh);
                Path tmp = Files.createTempFile(dataDir, "secret", ".tmp");
                try {
                    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
                } catch (UnsupportedOperationException ignored) {
                    // not a POSIX file system
                }
                Files.writeString(tmp, Base64.getEncoder().encodeToString(fresh));
                Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            }
            return new SecretBox(Base64.getDecoder().decode(Files.readString(file).strip()));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read or create the secret key " + file, e);
        }
    }

    String encrypt(String plaintext, String context) {
        try {
            byte[] nonce = new byte[NONCE];
            random.nextBytes(nonce);
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            byte[] sealed = cipher.doFinal(plaintext.getBytes(StandardCharsets.UTF_8));
            return VERSION + Base64.getEncoder().encodeToString(ByteBuffer.allocate(NONCE + sealed.length).put(nonce)
                    .put(sealed).array());
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        }
    }

    String decrypt(String stored, String context) {
        if (stored == null || !stored.startsWith(VERSION)) {
            throw new SecretException("The stored credentials are not in a format this Kiln knows.");
        }
        try {
            byte[] all = Base64.getDecoder().decode(stored.substring(VERSION.length()));
            Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
            cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, all, 0, NONCE));
            cipher.updateAAD(context.getBytes(StandardCharsets.UTF_8));
            return new String(cipher.doFinal(all, NONCE, all.length - NONCE), StandardCharsets.UTF_8);
        } catch (AEADBadTagException e) {
            throw new SecretException("The stored credentials cannot be decrypted with this server's secret key. Was "
                    + "KILN_SECRET_KEY (or <data>/secret.key) changed? Restore it, or enter the credentials again.");
        } catch (GeneralSecurityException | IllegalArgumentException e) {
            throw new SecretException("The stored credentials are damaged: " + e.getMessage());
        }
    }

    /** Credentials that cannot be read back: said plainly, nothing else is affected. */
    public static final class SecretException extends RuntimeException {
        SecretException(String message) {
            super(message);
        }
    }
}
