package dev.kiln.server.data;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVRecord;
import dev.kiln.api.data.StudioData.Entry;
import dev.kiln.api.data.StudioData.Page;
import dev.kiln.api.data.StudioData.Preview;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.SdkHttpClient;
import software.amazon.awssdk.http.apache.ApacheHttpClient;
import software.amazon.awssdk.http.apache.ProxyConfiguration;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3Configuration;
import software.amazon.awssdk.services.s3.presigner.S3Presigner;
import software.amazon.awssdk.services.s3.presigner.model.GetObjectPresignRequest;
import software.amazon.awssdk.services.s3.model.CommonPrefix;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One S3 (or S3-compatible) connection through the AWS SDK v2: test it, list a prefix a page at a time, preview the
 * first bytes of an object (text, CSV as a table, JSON), and upload. Credentials are an access key and secret, or,
 * only where an admin allows it for the bucket ({@link ServerRole}), the server's own identity. Errors come back as
 * {@link DataException}s with a sentence a person can act on; a network failure reads the same whatever its cause
 * ({@link EndpointPolicy#UNREACHABLE}), with the detail in the server's log.
 */
final class S3Browser implements AutoCloseable {
    static final int PREVIEW_BYTES = 64 * 1024;
    static final int PREVIEW_ROWS = 50;

    private final S3Client s3;
    private final String bucket;
    private final String endpoint;
    private final S3Presigner presigner;

    private final SdkHttpClient http;
    private final EndpointGuard guard;
    private final String what;

    /**
     * A client for one connection ({@code what} names it in the server's log). Its HTTP client checks every address
     * it resolves against the {@link EndpointGuard} before connecting, follows no redirects, and ignores the server's
     * proxy settings. Without keys it uses the server's own AWS identity only where {@link ServerRole} allows it.
     */
    S3Browser(Map<String, String> settings, Map<String, String> secret, EndpointGuard guard, ServerRole serverRole,
              String what) {
        this.bucket = settings.get("bucket");
        this.endpoint = settings.getOrDefault("endpoint", "");
        this.guard = guard;
        this.what = what;
        Region region = Region.of(EndpointGuard.region(settings));
        AwsCredentialsProvider credentials;
        if (secret.getOrDefault("accessKeyId", "").isBlank()) {
            String refusal = serverRole.refusal(bucket);
            if (refusal != null) {
                throw new DataException(refusal);
            }
            credentials = DefaultCredentialsProvider.builder().build();
        } else {
            credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(secret.get("accessKeyId"),
                    secret.getOrDefault("secretAccessKey", "")));
        }
        var target = EndpointGuard.s3(settings);
        this.http = ApacheHttpClient.builder().dnsResolver(guard.dnsResolver(target.port()))
                .connectionTimeout(Duration.ofSeconds(5)).socketTimeout(Duration.ofSeconds(30))
                .proxyConfiguration(ProxyConfiguration.builder().useSystemPropertyValues(false)
                        .useEnvironmentVariableValues(false).build())
                .build();
        var builder = S3Client.builder().credentialsProvider(credentials)
                .region(region)
                .httpClient(http)
                .forcePathStyle(Boolean.parseBoolean(settings.getOrDefault("pathStyle", "false")));
        if (!endpoint.isBlank()) {
            builder.endpointOverride(EndpointGuard.s3Endpoint(endpoint));
        }
        this.s3 = builder.build();
        var presign = S3Presigner.builder().credentialsProvider(credentials)
                .region(region)
                .serviceConfiguration(S3Configuration.builder()
                        .pathStyleAccessEnabled(Boolean.parseBoolean(settings.getOrDefault("pathStyle", "false"))).build());
        if (!endpoint.isBlank()) {
            presign.endpointOverride(EndpointGuard.s3Endpoint(endpoint));
        }
        this.presigner = presign.build();
    }

    /**
     * A URL that lets whoever holds it read one object for {@code validity}, and the object's size: how a machine
     * downloads without ever seeing the connection's credentials.
     */
    record Grant(String url, long size) {}

    Grant presignedDownload(String key, Duration validity) {
        long size = call(() -> s3.headObject(r -> r.bucket(bucket).key(key))).contentLength();
        var request = GetObjectPresignRequest.builder().signatureDuration(validity)
                .getObjectRequest(r -> r.bucket(bucket).key(key)).build();
        return new Grant(presigner.presignGetObject(request).url().toString(), size);
    }

    /** Streams an upload of known length to the bucket (never held whole in memory). */
    void upload(String key, java.io.InputStream content, long length) {
        call(() -> s3.putObject(r -> r.bucket(bucket).key(key), RequestBody.fromInputStream(content, length)));
    }

    /** Something that writes a whole object into a stream (a query export). */
    interface StreamWriter {
        void writeTo(java.io.OutputStream out) throws IOException;
    }

    static final int UPLOAD_PART_BYTES = 8 << 20;

    /**
     * Streams what {@code writer} produces into {@code key} as a multipart upload of 8 MB parts, so an export of any
     * size needs 8 MB of memory. If the writer fails, the upload is aborted and no object appears.
     */
    void uploadStream(String key, StreamWriter writer, java.util.function.LongConsumer progress) throws IOException {
        String uploadId = call(() -> s3.createMultipartUpload(b -> b.bucket(bucket).key(key))).uploadId();
        var parts = new ArrayList<software.amazon.awssdk.services.s3.model.CompletedPart>();
        long[] sent = {0};
        var out = new java.io.OutputStream() {
            private final java.io.ByteArrayOutputStream buffer = new java.io.ByteArrayOutputStream(UPLOAD_PART_BYTES);

            @Override
            public void write(int b) throws IOException {
                buffer.write(b);
                if (buffer.size() >= UPLOAD_PART_BYTES) {
                    sendPart();
                }
            }

            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                while (len > 0) {
                    int n = Math.min(len, UPLOAD_PART_BYTES - buffer.size());
                    buffer.write(b, off, n);
                    off += n;
                    len -= n;
                    if (buffer.size() >= UPLOAD_PART_BYTES) {
                        sendPart();
                    }
                }
            }

            void sendPart() {
                byte[] bytes = buffer.toByteArray();
                buffer.reset();
                int number = parts.size() + 1;
                String etag = call(() -> s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                        .partNumber(number).contentLength((long) bytes.length), RequestBody.fromBytes(bytes))).eTag();
                parts.add(software.amazon.awssdk.services.s3.model.CompletedPart.builder().partNumber(number)
                        .eTag(etag).build());
                sent[0] += bytes.length;
                progress.accept(sent[0]);
            }
        };
        try {
            writer.writeTo(out);
            out.flush();
            if (out.buffer.size() > 0 || parts.isEmpty()) {
                out.sendPart(); // the last part may be small; an empty export is one empty part
            }
            call(() -> s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
                    .multipartUpload(m -> m.parts(parts))));
        } catch (IOException | RuntimeException e) {
            try {
                s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
            } catch (RuntimeException abort) {
                e.addSuppressed(abort);
            }
            throw e;
        }
    }

    String bucket() {
        return bucket;
    }

    /** A verdict for "Test connection": fine, or what is wrong. */
    String test() {
        // A one-key listing rather than HEAD: its error body tells wrong credentials from a refused bucket.
        call(() -> s3.listObjectsV2(b -> b.bucket(bucket).maxKeys(1)));
        return "Connected: bucket '" + bucket + "' is readable.";
    }

    Page list(String prefix, String token, int max) {
        var response = call(() -> s3.listObjectsV2(r -> r.bucket(bucket).prefix(prefix == null ? "" : prefix)
                .delimiter("/").maxKeys(Math.max(1, Math.min(max, 1000)))
                .continuationToken(token == null || token.isBlank() ? null : token)));
        var entries = new ArrayList<Entry>();
        for (CommonPrefix folder : response.commonPrefixes()) {
            entries.add(new Entry(folder.prefix(), true, 0, null));
        }
        for (S3Object object : response.contents()) {
            entries.add(new Entry(object.key(), false, object.size(), String.valueOf(object.lastModified())));
        }
        return new Page(entries, response.isTruncated() ? response.nextContinuationToken() : null);
    }

    /**
     * The first {@value #PREVIEW_BYTES} bytes only, however large the object is and whatever the server sends: a
     * ranged GET, read as a stream that is dropped after those bytes (a server that ignores Range costs nothing more).
     */
    Preview preview(String key) {
        var head = call(() -> s3.headObject(r -> r.bucket(bucket).key(key)));
        long size = head.contentLength();
        if (key.toLowerCase().endsWith(".parquet")) {
            return call(() -> ParquetPreview.of(new ParquetPreview.Ranges() {
                @Override
                public byte[] read(long offset, int length) {
                    return S3Browser.this.read(key, offset, length);
                }
            }, "s3://" + bucket + "/" + key, key, size, PREVIEW_ROWS));
        }
        byte[] bytes = size == 0 ? new byte[0] : read(key, 0, PREVIEW_BYTES);
        boolean truncated = size > bytes.length;
        String text = new String(bytes, StandardCharsets.UTF_8);
        if (truncated && text.contains("\n")) {
            text = text.substring(0, text.lastIndexOf('\n') + 1); // whole lines only
        }
        if (key.toLowerCase().endsWith(".csv") || key.toLowerCase().endsWith(".tsv")) {
            return new Preview(key, size, "csv", null, csvRows(text, key.toLowerCase().endsWith(".tsv")), truncated,
                    null);
        }
        return new Preview(key, size, key.toLowerCase().endsWith(".json") ? "json" : "text", text, List.of(),
                truncated, null);
    }

    /**
     * At most {@code length} bytes from {@code offset}: a ranged GET whose answer is read as a stream and dropped
     * after that many bytes, so no server can make Kiln hold more than it asked for.
     */
    byte[] read(String key, long offset, int length) {
        return call(() -> {
            var in = s3.getObject(r -> r.bucket(bucket).key(key).range("bytes=" + offset + "-" + (offset + length - 1)));
            try (in) {
                byte[] bytes = in.readNBytes(length);
                in.abort(); // the rest, if the server sends more than the range, is never read: the connection goes
                return bytes;
            } catch (IOException e) {
                in.abort();
                throw SdkClientException.create("reading " + key + " failed", e);
            }
        });
    }

    static List<List<String>> csvRows(String text, boolean tabs) {
        var rows = new ArrayList<List<String>>();
        try (var parser = (tabs ? CSVFormat.TDF : CSVFormat.DEFAULT).builder().setIgnoreEmptyLines(true).get()
                .parse(new StringReader(text))) {
            for (CSVRecord record : parser) {
                rows.add(record.toList());
                if (rows.size() > PREVIEW_ROWS) {
                    break;
                }
            }
        } catch (IOException | java.io.UncheckedIOException | IllegalStateException e) {
            throw new DataException("This file is not valid CSV near row " + (rows.size() + 1) + ": "
                    + CsvProblems.describe(e) + ".");
        }
        return rows;
    }

    private <T> T call(java.util.function.Supplier<T> request) {
        try {
            return request.get();
        } catch (S3Exception e) {
            String code = e.awsErrorDetails() == null ? "" : e.awsErrorDetails().errorCode();
            code = code == null ? "" : code;
            String message = switch (code) {
                case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken" ->
                        "Wrong credentials: the access key or secret was refused (" + code + ").";
                case "NoSuchBucket" -> "No such bucket '" + bucket + "'.";
                case "NoSuchKey" -> "No such object in bucket '" + bucket + "'.";
                case "AccessDenied" -> "Access denied: these credentials may not read bucket '" + bucket + "'.";
                default -> e.statusCode() == 404 ? "Not found in bucket '" + bucket + "' (404)."
                        : e.statusCode() == 403 ? "Access denied or wrong credentials (403)."
                        // Not the server's words: an endpoint that is not S3 must not get its page shown to users.
                        : "The endpoint answered HTTP " + e.statusCode() + (code.matches("[A-Za-z0-9.]{1,64}")
                        ? " (" + code + ")" : "") + " instead of what S3 answers.";
            };
            throw new DataException(message);
        } catch (SdkClientException e) {
            throw guard.unreachable(what, e);
        }
    }

    @Override
    public void close() {
        s3.close();
        presigner.close();
        http.close();
    }
}
