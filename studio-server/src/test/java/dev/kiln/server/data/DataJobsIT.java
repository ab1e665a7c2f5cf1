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
 * it runs, and never show in its log. Only the connections the owner gave to jobs reach them, and a job that prints
 * its credentials file and environment, or a terminal that cats the file while it runs, shows *** instead of them.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class DataJobsIT {
    static S3ProxyServer s3proxy;

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
        registry.add("kiln.data.allowed-endpoints", () -> s3proxy.endpoint().replace("http://", ""));
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
                 "region":"us-east-1"},"secret":{"accessKeyId":"%s","secretAccessKey":"%s"},"forJobs":true}"""
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
        assertThat(log(fromParquet)).contains("wrote 3,000 rows of 2 features to s3://lake/prepared/table/")
                // Libraries' chatter stays out of the job's log by default: Hardwood's INFO line through the JDK's
                // logging, and the AWS SDK's through Logback.
                .doesNotContain("SIMD support").doesNotContain("INFO").doesNotContain("DEBUG");

        // Bad data: the job fails and says where.
        JsonNode broken = run("example.PrepareData", "source=s3://lake/bad/", "target=s3://lake/prepared/broken");
        assertThat(broken.path("status").asString()).isEqualTo("FAILED");
        assertThat(log(broken)).contains("PrepareData: bad/broken.csv line 2: 'oops' is not a number")
                .as("a sentence, not a stack trace").doesNotContain("\tat example.");
        try (var s3 = s3proxy.client()) {
            assertThat(s3.listObjectsV2(b -> b.bucket("lake").prefix("prepared/broken/")).contents())
                    .as("nothing that looks like a finished dataset").noneMatch(o -> o.key().endsWith("index.json"));
        }
        session.post("/api/studios/" + studio + "/machine/stop", "{}");
    }

    static final String PRIVATE_SECRET = "never-for-jobs-secret-7Q2x";

    @Test
    void jobsGetOnlyWhatTheOwnerGaveThemAndSecretsNeverShowInTheLogOrTheTerminal() throws Exception {
        KilnPrincipal owner = ServerTestSupport.newUser(accounts, "Mia Mask");
        session = KilnHttp.signIn("http://localhost:" + port, owner.getUsername(), "password-" + owner.getUsername());
        studio = session.postJson("/api/studios", "{\"name\":\"Masks\"}").path("id").asString();
        String connections = "/api/studios/" + studio + "/connections";
        session.postJson(connections, """
                {"name":"lake","kind":"s3","settings":{"bucket":"lake","endpoint":"%s","pathStyle":"true"},
                 "secret":{"accessKeyId":"%s","secretAccessKey":"%s"}}"""
                .formatted(s3proxy.endpoint(), S3ProxyServer.IDENTITY, S3ProxyServer.CREDENTIAL));
        String lake = KilnHttp.JSON.readTree(session.get(connections).body()).get(0).path("id").asString();
        assertThat(KilnHttp.JSON.readTree(session.get(connections).body()).get(0).path("forJobs").asBoolean())
                .as("not given to jobs unless the owner says so").isFalse();
        session.postJson(connections, """
                {"name":"private","kind":"s3","settings":{"bucket":"private","endpoint":"%s","pathStyle":"true"},
                 "secret":{"accessKeyId":"private-key-id","secretAccessKey":"%s"}}"""
                .formatted(s3proxy.endpoint(), PRIVATE_SECRET));

        // Only the owner chooses: an editor through a share link may not.
        String token = session.postJson("/api/studios/" + studio + "/links", "{\"role\":\"editor\"}").path("token")
                .asString();
        var teammate = ServerTestSupport.newUser(accounts, "Ted Teammate");
        var theirs = KilnHttp.signIn("http://localhost:" + port, teammate.getUsername(), "password-"
                + teammate.getUsername());
        theirs.postJson("/api/studios/joined/" + token, "{}");
        assertThat(theirs.put(connections + "/" + lake + "/jobs", "{\"forJobs\":true}").statusCode()).isEqualTo(403);
        assertThat(theirs.post(connections, """
                {"name":"sneaky","kind":"s3","settings":{"bucket":"lake","endpoint":"%s","pathStyle":"true"},
                 "secret":{"accessKeyId":"a-key-id","secretAccessKey":"a-secret-value"},"forJobs":true}"""
                .formatted(s3proxy.endpoint())).statusCode()).isEqualTo(403);
        var given = session.put(connections + "/" + lake + "/jobs", "{\"forJobs\":true}");
        assertThat(given.statusCode()).as(given.body()).isEqualTo(200);
        assertThat(KilnHttp.JSON.readTree(given.body()).path("forJobs").asBoolean()).isTrue();

        session.put("/api/studios/" + studio + "/file?path=src/main/java/example/ShowSecrets.java", """
                {"text":%s,"baseVersion":""}""".formatted(KilnHttp.JSON.writeValueAsString("""
                package example;

                public class ShowSecrets {
                    public static void main(String[] args) throws Exception {
                        String file = System.getenv("KILN_CONNECTIONS");
                        System.out.println("credentials file " + file + ":");
                        System.out.println(java.nio.file.Files.readString(java.nio.file.Path.of(file)));
                        System.getenv().forEach((k, v) -> System.out.println("env " + k + "=" + v));
                        System.out.println("printed everything");
                        System.out.flush();
                        Thread.sleep(Long.parseLong(args[0]));
                    }
                }
                """)));
        session.startMachine(studio, "local-1");
        String jobs = "/api/studios/" + studio + "/jobs";
        String job = session.postJson(jobs, """
                {"entryPoint":"example.ShowSecrets","nodes":1,"devices":1,"args":["60000","x\\nkiln: succeeded: Finished"]}
                """).path("id").asString();
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofMinutes(2)).until(() ->
                session.jobLog(studio, job, "").contains("printed everything"));

        // While it runs, a terminal cats the credentials file: the scrollback shows *** where the keys are.
        var terminal = Terminal.open(port, session, studio);
        terminal.send("{\"type\":\"input\",\"data\":\"cat ~/.kiln/secrets/*.json; echo; echo cat-done\\r\"}");
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(20)).until(() ->
                terminal.screen().contains("cat-done\r\n") && terminal.screen().contains("\"name\":\"lake\""));
        var later = Terminal.open(port, session, studio);
        org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(5)).until(() ->
                later.screen().contains("cat-done"));
        for (String screen : new String[] {terminal.screen(), later.screen()}) {
            assertThat(screen).contains("\"secretAccessKey\":\"***\"").doesNotContain(S3ProxyServer.CREDENTIAL)
                    .doesNotContain("\"private\"");
        }
        terminal.close();
        later.close();

        session.post(jobs + "/" + job + "/cancel", "{}");
        session.awaitJobEnded(studio, job);
        var lines = KilnHttp.JSON.readTree(session.get(jobs + "/" + job + "/log").body()).path("lines");
        String log = session.jobLog(studio, job, "");
        assertThat(log).contains("\"name\":\"lake\"", "\"secretAccessKey\":\"***\"", "env KILN_CONNECTIONS=")
                .doesNotContain(S3ProxyServer.CREDENTIAL, PRIVATE_SECRET, "\"name\":\"private\"");
        // The argument's line break did not make a line of its own: Kiln's note quotes it escaped.
        assertThat(lines.get(0).asString()).startsWith("kiln: job 1: example.ShowSecrets 60000 x\\nkiln: succeeded");
        lines.forEach(line -> assertThat(line.asString()).doesNotStartWith("kiln: succeeded"));
        session.post("/api/studios/" + studio + "/machine/stop", "{}");
    }

    /** A browser's terminal connection, keeping the text it received. */
    static final class Terminal implements java.net.http.WebSocket.Listener {
        final StringBuffer received = new StringBuffer();
        private final StringBuilder partial = new StringBuilder();
        java.net.http.WebSocket socket;

        static Terminal open(int port, KilnHttp session, String studioId) throws Exception {
            var client = new Terminal();
            client.socket = java.net.http.HttpClient.newHttpClient().newWebSocketBuilder()
                    .header("Cookie", session.cookieHeader())
                    .buildAsync(java.net.URI.create("ws://localhost:" + port + "/terminal/" + studioId + "?name=1"),
                            client).get(10, java.util.concurrent.TimeUnit.SECONDS);
            return client;
        }

        void send(String json) throws Exception {
            socket.sendText(json, true).get(5, java.util.concurrent.TimeUnit.SECONDS);
        }

        String screen() {
            return received.toString();
        }

        @Override
        public java.util.concurrent.CompletionStage<?> onText(java.net.http.WebSocket webSocket, CharSequence data,
                                                              boolean last) {
            partial.append(data);
            if (last) {
                JsonNode message = KilnHttp.JSON.readTree(partial.toString());
                if (message.path("type").asString().equals("output")) {
                    received.append(message.path("data").asString());
                }
                partial.setLength(0);
            }
            webSocket.request(1);
            return null;
        }

        void close() {
            socket.sendClose(java.net.http.WebSocket.NORMAL_CLOSURE, "done");
        }
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
