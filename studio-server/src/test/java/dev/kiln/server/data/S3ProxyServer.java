package dev.kiln.server.data;

import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;

import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

import static org.awaitility.Awaitility.await;

/**
 * A real S3-compatible server for tests: S3Proxy (file system backend) as its own process, from the jar the build
 * copies to target/s3proxy, with a "datasets" bucket: a small CSV, a malformed CSV, a 5 MB text file and 25 shards.
 */
public final class S3ProxyServer implements AutoCloseable {
    public static final String IDENTITY = "kiln-test-identity";
    public static final String CREDENTIAL = "kiln-test-credential-wJalrXUtnFEMI";

    private final Process process;
    public final int port;

    private S3ProxyServer(Process process, int port) {
        this.process = process;
        this.port = port;
    }

    public String endpoint() {
        return "http://127.0.0.1:" + port;
    }

    public static S3ProxyServer start() throws Exception {
        int port;
        try (var socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        Path dir = Files.createTempDirectory("kiln-s3-");
        Path properties = dir.resolve("s3proxy.properties");
        Files.writeString(properties, String.join("\n",
                "s3proxy.endpoint=http://127.0.0.1:" + port,
                "s3proxy.authorization=aws-v2-or-v4",
                "s3proxy.identity=" + IDENTITY,
                "s3proxy.credential=" + CREDENTIAL,
                "jclouds.provider=filesystem",
                "jclouds.filesystem.basedir=" + Files.createDirectories(dir.resolve("blobs"))));
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                Path.of("target/s3proxy/s3proxy.jar").toAbsolutePath().toString(), "--properties", properties.toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("s3proxy.log").toFile()).start();
        int bound = port;
        await().atMost(Duration.ofSeconds(60)).ignoreExceptions().until(() -> {
            try (var ignored = new Socket("127.0.0.1", bound)) {
                return true;
            }
        });
        var server = new S3ProxyServer(process, port);
        try (var s3 = server.client()) {
            s3.createBucket(b -> b.bucket("datasets"));
            s3.putObject(b -> b.bucket("datasets").key("iris.csv"), RequestBody.fromString(
                    "sepal_length,sepal_width,species\n5.1,3.5,setosa\n7.0,3.2,versicolor\n6.3,3.3,virginica\n"));
            s3.putObject(b -> b.bucket("datasets").key("broken.csv"), RequestBody.fromString(
                    "a,b\n1,\"unclosed quote\n2,3\n"));
            s3.putObject(b -> b.bucket("datasets").key("big.txt"), RequestBody.fromString(
                    "0123456789abcdef\n".repeat(300_000))); // about 5 MB
            for (int i = 0; i < 25; i++) {
                int n = i;
                s3.putObject(b -> b.bucket("datasets").key("shards/part-%03d.bin".formatted(n)),
                        RequestBody.fromString("x"));
            }
        }
        return server;
    }

    public S3Client client() {
        return S3Client.builder().endpointOverride(URI.create(endpoint())).region(Region.US_EAST_1).forcePathStyle(true)
                .httpClient(UrlConnectionHttpClient.create())
                .credentialsProvider(StaticCredentialsProvider.create(AwsBasicCredentials.create(IDENTITY, CREDENTIAL)))
                .build();
    }

    @Override
    public void close() {
        process.destroy();
    }
}
