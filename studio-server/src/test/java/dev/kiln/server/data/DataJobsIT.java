package dev.kiln.server.data;

import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.security.KilnPrincipal;
import dev.kiln.server.security.UserAccounts;
import dev.kiln.training.storage.S3ProxyServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import software.amazon.awssdk.core.sync.RequestBody;
import tools.jackson.databind.JsonNode;

import java.nio.file.Path;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Data in jobs, with real processes and a real S3-compatible server: the studio template's example.PrepareData reads
 * CSV files from S3 with the studio's connection and writes shards back to S3; example.SumRegression trains on those
 * shards through an s3:// dataset and its loss falls. The credentials reach the job only in a file that exists while
 * it runs, and never show in its log.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DataJobsIT {
    static S3ProxyServer s3proxy;

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }

    @BeforeAll
    static void startS3() throws Exception {
        s3proxy = S3ProxyServer.start();
        var random = new Random(11);
        try (var s3 = s3proxy.client()) {
            s3.createBucket(b -> b.bucket("lake"));
            for (int file = 0; file < 3; file++) {
                var csv = new StringBuilder();
                for (int f = 0; f < 16; f++) {
                    csv.append("f").append(f).append(',');
                }
                csv.append("y\n");
                for (int row = 0; row < 1500; row++) {
                    double sum = 0;
                    for (int f = 0; f < 16; f++) {
                        double value = random.nextGaussian();
                        sum += value;
                        csv.append(String.format("%.5f,", value));
                    }
                    csv.append(String.format("%.5f%n", sum));
                }
                int n = file;
                s3.putObject(b -> b.bucket("lake").key("raw/sums-%d.csv".formatted(n)),
                        RequestBody.fromString(csv.toString()));
            }
            s3.putObject(b -> b.bucket("lake").key("bad/broken.csv"), RequestBody.fromString("f0,y\n1.0,oops\n"));
            // A query result exported as Parquet: y = a + b, read by the same prep step.
            s3.putObject(b -> b.bucket("lake").key("table/part-0.parquet"), RequestBody.fromBytes(SeededS3.parquet(
                    "select cast(x as double precision) as a, 2.0 * x as b, 3.0 * x as y from system_range(1, 3000)")));
        }
    }

    @AfterAll
    static void stopS3() {
        s3proxy.close();
    }

    @LocalServerPort
    int port;
    @Autowired
    UserAccounts accounts;
    @Autowired
    KilnProperties properties;

    KilnHttp session;
    String studio;

    @Test
    void aJobPreparesShardsOnS3AndTheNextTrainsFromThem() throws Exception {
        KilnPrincipal owner = ServerTestSupport.newUser(accounts, "Pat Prep");
        session = KilnHttp.signIn("http://localhost:" + port, owner.getUsername(), "password-" + owner.getUsername());
        studio = session.postJson("/api/studios", "{\"name\":\"Lake\"}").path("id").asString();
        var created = session.post("/api/studios/" + studio + "/connections", """
                {"name":"lake","kind":"s3","settings":{"bucket":"lake","endpoint":"%s","pathStyle":"true",
                 "region":"us-east-1"},"secret":{"accessKeyId":"%s","secretAccessKey":"%s"}}"""
                .formatted(s3proxy.endpoint(), S3ProxyServer.IDENTITY, S3ProxyServer.CREDENTIAL));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        session.startMachine(studio, "local-2");
        Path secrets = properties.dataDir().resolve("machines").resolve(studio).resolve("home/.kiln/secrets");

        JsonNode prep = run("example.PrepareData", "source=s3://lake/raw/", "target=s3://lake/prepared/sums",
                "label=y");
        String prepLog = log(prep);
        assertThat(prep.path("status").asString()).as(prepLog).isEqualTo("SUCCEEDED");
        assertThat(prepLog).contains("wrote 4,500 rows of 16 features to s3://lake/prepared/sums/")
                .doesNotContain(S3ProxyServer.CREDENTIAL);
        try (var s3 = s3proxy.client()) {
            assertThat(s3.listObjectsV2(b -> b.bucket("lake").prefix("prepared/sums/")).contents())
                    .extracting(o -> o.key()).contains("prepared/sums/index.json",
                            "prepared/sums/shard-00000.safetensors");
        }
        assertThat(secrets).isEmptyDirectory();

        JsonNode train = run("example.SumRegression", "data=s3://lake/prepared/sums", "--trainer.max-epochs=4");
        String trainLog = log(train);
        assertThat(train.path("status").asString()).as(trainLog).isEqualTo("SUCCEEDED");
        JsonNode loss = KilnHttp.JSON.readTree(session.get(jobs() + "/" + train.path("id").asString() + "/metrics")
                .body()).path("loss");
        assertThat(loss.size()).isGreaterThan(3);
        assertThat(loss.get(loss.size() - 1).get(1).asDouble()).as("the loss went down: " + loss)
                .isLessThan(loss.get(0).get(1).asDouble() * 0.5);
        // The cache on the machine holds the shards it read.
        assertThat(properties.dataDir().resolve("machines").resolve(studio)
                .resolve("home/.cache/kiln/s3/lake/prepared/sums/shard-00000.safetensors")).exists();
        assertThat(secrets).isEmptyDirectory();

        // Parquet in, shards out.
        JsonNode fromParquet = run("example.PrepareData", "source=s3://lake/table/", "target=s3://lake/prepared/table",
                "label=Y");
        assertThat(fromParquet.path("status").asString()).as(log(fromParquet)).isEqualTo("SUCCEEDED");
        assertThat(log(fromParquet)).contains("wrote 3,000 rows of 2 features to s3://lake/prepared/table/");

        // Bad data: the job fails and says where.
        JsonNode broken = run("example.PrepareData", "source=s3://lake/bad/", "target=s3://lake/prepared/broken");
        assertThat(broken.path("status").asString()).isEqualTo("FAILED");
        assertThat(log(broken)).contains("bad/broken.csv line 2: 'oops' is not a number");
        try (var s3 = s3proxy.client()) {
            assertThat(s3.listObjectsV2(b -> b.bucket("lake").prefix("prepared/broken/")).contents())
                    .as("nothing that looks like a finished dataset").noneMatch(o -> o.key().endsWith("index.json"));
        }
        session.post("/api/studios/" + studio + "/machine/stop", "{}");
    }

    String jobs() {
        return "/api/studios/" + studio + "/jobs";
    }

    JsonNode run(String entryPoint, String... args) {
        return session.runJob(studio, entryPoint, args);
    }

    String log(JsonNode job) {
        return session.jobLog(studio, job.path("id").asString(), "");
    }
}
