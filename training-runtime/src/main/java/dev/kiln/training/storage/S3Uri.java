package dev.kiln.training.storage;

import java.net.URI;
import java.net.URISyntaxException;

/**
 * {@code s3://bucket/key} or {@code s3://connection@bucket/key}: the optional user part names which of the studio's
 * connections to read with, for when several reach the same bucket.
 */
public record S3Uri(String connection, String bucket, String key) {

    public static boolean is(String location) {
        return location != null && location.startsWith("s3://");
    }

    public static S3Uri parse(String location) {
        if (!is(location)) {
            throw new IllegalArgumentException("'" + location + "' is not an s3:// location");
        }
        URI uri;
        try {
            uri = new URI(location);
        } catch (URISyntaxException e) {
            throw new IllegalArgumentException("'" + location + "' is not a valid s3:// URI: " + e.getReason());
        }
        String bucket = uri.getHost();
        if (bucket == null || bucket.isBlank()) {
            throw new IllegalArgumentException("'" + location + "' names no bucket; write s3://bucket/path");
        }
        String path = uri.getPath() == null ? "" : uri.getPath();
        return new S3Uri(uri.getUserInfo(), bucket, path.startsWith("/") ? path.substring(1) : path);
    }

    /** This location as a directory: its key ends with a slash unless it is the bucket's root. */
    public S3Uri asPrefix() {
        return key.isEmpty() || key.endsWith("/") ? this : new S3Uri(connection, bucket, key + "/");
    }

    /** The same location read through the named connection: {@code s3://name@bucket/key}. */
    public S3Uri withConnection(String name) {
        return new S3Uri(name, bucket, key);
    }

    public S3Uri resolve(String name) {
        return new S3Uri(connection, bucket, asPrefix().key + name);
    }

    @Override
    public String toString() {
        return "s3://" + (connection == null ? "" : connection + "@") + bucket + "/" + key;
    }
}
