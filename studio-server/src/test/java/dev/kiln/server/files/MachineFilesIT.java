package dev.kiln.server.files;

import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.machine.MachineChannel;
import dev.kiln.server.security.UserAccounts;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.ZipInputStream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The studio's files as one tree, against a real machine (an agent process in its sandbox) through the REST API:
 * the workspace and the home listed with which is which, uploads streamed onto the machine and downloaded back byte
 * for byte, folders as zip and tar.gz, previews, and every refusal: paths out of the home, a symbolic link out of
 * it, viewers changing files, an upload over the limit, a disk too small or filling up mid-upload (real small
 * disks mounted in the home), and a binary file changed on both sides at once keeping both versions. The last test
 * stops the machine: the workspace stays browsable, editable and downloadable; the rest says the machine is offline.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MachineFilesIT {
    static final long UPLOAD_LIMIT = 300L << 20;

    @DynamicPropertySource
    static void settings(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
        registry.add("kiln.files.max-upload-size", () -> UPLOAD_LIMIT + "B");
    }

    @LocalServerPort
    int port;
    @Autowired
    UserAccounts accounts;
    @Autowired
    KilnProperties properties;
    @Autowired
    MachineChannel channel;
    @Autowired
    org.springframework.context.ApplicationContext context;
    @Autowired
    FileRevisions revisions;
    @Autowired
    dev.kiln.server.studio.Workspaces workspaces;

    KilnHttp owner;
    KilnHttp viewer;
    String studioId;
    MachineShell shell;
    /** Small filesystems mounted in the home before the machine starts (empty where this host cannot mount). */
    List<Path> smallDisks;

    @BeforeAll
    void studioWithAMachine() {
        var user = ServerTestSupport.newUser(accounts, "Fay Files");
        owner = KilnHttp.signIn("http://localhost:" + port, user.getUsername(), "password-" + user.getUsername());
        studioId = owner.postJson("/api/studios", "{\"name\":\"Files\"}").path("id").asString();
        String token = owner.postJson("/api/studios/" + studioId + "/links", "{\"role\":\"viewer\"}").path("token")
                .asString();
        var watcher = ServerTestSupport.newUser(accounts, "Vic Viewer");
        viewer = KilnHttp.signIn(owner.base, watcher.getUsername(), "password-" + watcher.getUsername());
        viewer.postJson("/api/studios/joined/" + token, "{}");
        smallDisks = SmallDisk.mountBoth(home());
        owner.startMachine(studioId, "local-1");
        shell = new MachineShell(channel, studioId);
    }

    @AfterAll
    void stop() {
        shell.close();
        owner.post("/api/studios/" + studioId + "/machine/stop", "{}");
        SmallDisk.unmountAll(smallDisks);
    }

    Path home() {
        return properties.dataDir().resolve("machines").resolve(studioId).resolve("home");
    }

    String api(String route, String path) {
        return "/api/studios/" + studioId + "/fs/" + route + "?path=" + URLEncoder.encode(path, StandardCharsets.UTF_8);
    }

    JsonNode json(KilnHttp session, String path) {
        var response = session.get(path);
        assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
        return KilnHttp.JSON.readTree(response.body());
    }

    Map<String, JsonNode> entries(JsonNode listing) {
        var map = new HashMap<String, JsonNode>();
        listing.path("entries").forEach(e -> map.put(e.path("path").asString(), e));
        return map;
    }

    @Test
    @Order(1)
    void theTreeHasTheWorkspaceAndTheHomeAndSaysWhichIsWhich() {
        shell.sh("printf 'out/\\n' > workspace/.gitignore && mkdir -p workspace/out data && echo w > workspace/out/m.bin"
                + " && printf 'a,b\\n1,2\\n' > data/sums.csv");
        await().atMost(Duration.ofSeconds(15)).until(() -> entries(json(owner, "/api/studios/" + studioId
                + "/fs/workspace")).containsKey("workspace/.gitignore"));
        var workspace = json(owner, "/api/studios/" + studioId + "/fs/workspace");
        assertThat(workspace.path("machineOnline").asBoolean()).isTrue();
        var tree = entries(workspace);
        assertThat(tree.get("workspace/README.md").path("where").asString()).isEqualTo("VERSIONED");
        assertThat(tree.get("workspace/.gitignore").path("where").asString()).as("committed from the terminal")
                .isEqualTo("VERSIONED");
        assertThat(tree.get("workspace/out").path("where").asString()).as("ignored by git").isEqualTo("MACHINE_ONLY");
        assertThat(tree).doesNotContainKey("workspace/.git");

        var top = entries(json(owner, api("list", "")));
        assertThat(top.get("data").path("where").asString()).isEqualTo("HOME");
        assertThat(top).doesNotContainKeys("workspace", ".kiln");
        var data = entries(json(viewer, api("list", "data")));
        assertThat(data.get("data/sums.csv").path("size").asLong()).isEqualTo(8);
        assertThat(data.get("data/sums.csv").path("modified").asString()).isNotEmpty();
    }

    @Test
    @Order(2)
    void whatTheTerminalDoesInTheWorkspaceIsCommittedByTheMachineAndNothingGoesToABranch() throws Exception {
        shell.sh("echo 'hello from the machine' > workspace/hello.txt");
        await().atMost(Duration.ofSeconds(15)).until(() -> owner.get("/api/studios/" + studioId
                + "/file?path=hello.txt").statusCode() == 200);
        assertThat(json(owner, "/api/studios/" + studioId + "/file?path=hello.txt").path("text").asString())
                .isEqualTo("hello from the machine\n");
        var history = json(owner, "/api/studios/" + studioId + "/history?path=hello.txt");
        assertThat(history.get(0).path("authorName").asString()).isEqualTo("Studio machine");

        shell.sh("sed -i 's/hello/hi/' workspace/hello.txt");
        await().atMost(Duration.ofSeconds(15)).until(() -> json(owner, "/api/studios/" + studioId
                + "/file?path=hello.txt").path("text").asString().equals("hi from the machine\n"));

        shell.sh("mv workspace/hello.txt workspace/greeting.txt");
        await().atMost(Duration.ofSeconds(15)).until(() -> owner.get("/api/studios/" + studioId
                + "/file?path=hello.txt").statusCode() == 404 && owner.get("/api/studios/" + studioId
                + "/file?path=greeting.txt").statusCode() == 200);
        shell.sh("rm workspace/greeting.txt");
        await().atMost(Duration.ofSeconds(15)).until(() -> owner.get("/api/studios/" + studioId
                + "/file?path=greeting.txt").statusCode() == 404);

        // A save in the studio reaches the machine's file; the machine's edit is never moved aside.
        var readme = json(owner, "/api/studios/" + studioId + "/file?path=README.md");
        var saved = owner.put("/api/studios/" + studioId + "/file?path=README.md", KilnHttp.JSON.createObjectNode()
                .put("text", "# Saved in the studio\n").put("baseVersion", readme.path("version").asString()).toString());
        assertThat(saved.statusCode()).as(saved.body()).isEqualTo(200);
        await().atMost(Duration.ofSeconds(15)).until(() -> Files.readString(home().resolve("workspace/README.md"))
                .equals("# Saved in the studio\n"));
        for (Path repository : List.of(home().resolve("workspace"),
                ServerTestSupport.workspaceOf(properties.dataDir(), studioId))) {
            try (var git = org.eclipse.jgit.api.Git.open(repository.toFile())) {
                assertThat(git.getRepository().getRefDatabase().getRefs()).as("refs of %s", repository)
                        .noneMatch(ref -> ref.getName().contains("machine/"));
            }
        }
    }

    @Test
    @Order(3)
    void a200MegabyteUploadStreamsOntoTheMachineAndDownloadsBackByteForByte() throws Exception {
        Path original = Files.createTempFile("kiln-upload-", ".bin");
        var random = new Random(16);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(original)) {
            for (int i = 0; i < 200; i++) {
                random.nextBytes(block);
                out.write(block);
            }
        }
        long started = System.nanoTime();
        var uploaded = owner.putBody(api("upload", "data/big.bin"), HttpRequest.BodyPublishers.ofFile(original));
        long uploadMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(uploaded.statusCode()).as(uploaded.body()).isEqualTo(201);
        assertThat(sha256(home().resolve("data/big.bin"))).isEqualTo(sha256(original));
        try (var listing = Files.list(home().resolve("data"))) {
            assertThat(listing.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".part"));
        }
        var again = owner.putBody(api("upload", "data/big.bin"), HttpRequest.BodyPublishers.ofString("x"));
        assertThat(again.statusCode()).as("no silent overwrite").isEqualTo(409);
        assertThat(again.body()).contains("already exists");

        Path back = Files.createTempFile("kiln-download-", ".bin");
        started = System.nanoTime();
        var downloaded = viewer.download(api("download", "data/big.bin"), back);
        long downloadMillis = (System.nanoTime() - started) / 1_000_000;
        assertThat(downloaded.statusCode()).isEqualTo(200);
        assertThat(downloaded.headers().firstValue("Content-Length")).contains(String.valueOf(200L << 20));
        assertThat(downloaded.headers().firstValue("Content-Disposition").orElse("")).contains("big.bin");
        assertThat(sha256(back)).isEqualTo(sha256(original));
        System.out.printf("200 MB: upload %d ms (%.0f MiB/s), download %d ms (%.0f MiB/s)%n", uploadMillis,
                200_000.0 / Math.max(1, uploadMillis), downloadMillis, 200_000.0 / Math.max(1, downloadMillis));
        Files.delete(original);
        Files.delete(back);
    }

    @Test
    @Order(4)
    void uploadsIntoTheWorkspaceAreVersionedUnlessTooLargeForIt() throws Exception {
        var small = owner.putBody(api("upload", "workspace/data/train.csv"),
                HttpRequest.BodyPublishers.ofString("x,y\n1,2\n"));
        assertThat(small.statusCode()).as(small.body()).isEqualTo(201);
        assertThat(KilnHttp.JSON.readTree(small.body()).path("where").asString()).isEqualTo("VERSIONED");
        var history = json(owner, "/api/studios/" + studioId + "/history?path=data/train.csv");
        assertThat(history.get(0).path("authorName").asString()).isEqualTo("Fay Files");
        await().atMost(Duration.ofSeconds(15)).until(() -> Files.exists(home().resolve("workspace/data/train.csv")));

        byte[] large = new byte[11 << 20];
        var big = owner.putBody(api("upload", "workspace/weights.bin"), HttpRequest.BodyPublishers.ofByteArray(large));
        assertThat(big.statusCode()).as(big.body()).isEqualTo(201);
        assertThat(KilnHttp.JSON.readTree(big.body()).path("where").asString()).isEqualTo("MACHINE_ONLY");
        assertThat(home().resolve("workspace/weights.bin")).hasSize(large.length);
        Thread.sleep(1500); // the watcher's moment: it must not take the file into git
        assertThat(owner.get("/api/studios/" + studioId + "/file?path=weights.bin").statusCode()).isNotEqualTo(200);
        assertThat(entries(json(owner, "/api/studios/" + studioId + "/fs/workspace")).get("workspace/weights.bin")
                .path("where").asString()).isEqualTo("MACHINE_ONLY");
    }

    @Test
    @Order(5)
    void aCheckpointFolderDownloadsAsZipAndAsTarGz() throws Exception {
        shell.sh("mkdir -p jobs/j1/checkpoints/last && head -c 300000 /dev/urandom > jobs/j1/checkpoints/last/model.safetensors"
                + " && echo '{\"step\":3}' > jobs/j1/checkpoints/last/meta.json");
        Path zip = Files.createTempFile("kiln-", ".zip");
        var response = viewer.download("/api/studios/" + studioId + "/fs/download?path=jobs/j1/checkpoints&format=zip", zip);
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Content-Disposition").orElse("")).contains("checkpoints.zip");
        var contents = new HashMap<String, byte[]>();
        try (var in = new ZipInputStream(Files.newInputStream(zip))) {
            for (var entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                contents.put(entry.getName(), in.readAllBytes());
            }
        }
        assertThat(contents.get("checkpoints/last/model.safetensors"))
                .isEqualTo(Files.readAllBytes(home().resolve("jobs/j1/checkpoints/last/model.safetensors")));
        assertThat(new String(contents.get("checkpoints/last/meta.json"), StandardCharsets.UTF_8)).isEqualTo("{\"step\":3}\n");

        Path tgz = Files.createTempFile("kiln-", ".tar.gz");
        assertThat(viewer.download("/api/studios/" + studioId + "/fs/download?path=jobs/j1/checkpoints&format=tar.gz",
                tgz).statusCode()).isEqualTo(200);
        Path unpacked = Files.createTempDirectory("kiln-untar-");
        var tar = new ProcessBuilder("tar", "-xzf", tgz.toString(), "-C", unpacked.toString()).start();
        assertThat(tar.waitFor()).isZero();
        assertThat(unpacked.resolve("checkpoints/last/model.safetensors"))
                .hasSameBinaryContentAs(home().resolve("jobs/j1/checkpoints/last/model.safetensors"));
    }

    @Test
    @Order(6)
    void previewsShowTablesImagesAndACheckpointsTensors() throws Exception {
        var csv = json(viewer, api("preview", "data/sums.csv"));
        assertThat(csv.path("kind").asString()).isEqualTo("csv");
        assertThat(csv.path("rows").toString()).isEqualTo("[[\"a\",\"b\"],[\"1\",\"2\"]]");
        assertThat(csv.path("where").asString()).isEqualTo("HOME");

        var image = new java.awt.image.BufferedImage(4, 3, java.awt.image.BufferedImage.TYPE_INT_RGB);
        var png = new ByteArrayOutputStream();
        javax.imageio.ImageIO.write(image, "png", png);
        assertThat(owner.putBody(api("upload", "data/plot.png"), HttpRequest.BodyPublishers.ofByteArray(png.toByteArray()))
                .statusCode()).isEqualTo(201);
        var picture = json(viewer, api("preview", "data/plot.png"));
        assertThat(picture.path("kind").asString()).isEqualTo("image");
        var raw = viewer.http.send(HttpRequest.newBuilder(java.net.URI.create(owner.base + picture.path("url").asString()))
                .GET().build(), java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        assertThat(raw.statusCode()).isEqualTo(200);
        assertThat(raw.headers().firstValue("Content-Type")).contains("image/png");
        assertThat(raw.body()).isEqualTo(png.toByteArray());

        byte[] checkpoint = safetensors(Map.of("encoder.weight", new long[] {4, 3}, "encoder.bias", new long[] {4}));
        assertThat(owner.putBody(api("upload", "jobs/j1/checkpoints/last/model.safetensors"),
                HttpRequest.BodyPublishers.ofByteArray(checkpoint)).statusCode()).as("exists").isEqualTo(409);
        assertThat(owner.putBody(api("upload", "jobs/j1/checkpoints/last/model.safetensors") + "&overwrite=true",
                HttpRequest.BodyPublishers.ofByteArray(checkpoint)).statusCode()).isEqualTo(201);
        var tensors = json(viewer, api("preview", "jobs/j1/checkpoints/last/model.safetensors"));
        assertThat(tensors.path("kind").asString()).isEqualTo("safetensors");
        assertThat(tensors.path("tensors").toString()).contains("\"name\":\"encoder.weight\",\"dtype\":\"F32\","
                + "\"shape\":[4,3],\"bytes\":48").contains("\"name\":\"encoder.bias\"");
        assertThat(tensors.path("note").isNull() || tensors.path("note").isMissingNode()).isTrue();

        byte[] flowers = dev.kiln.server.data.SeededS3.parquet("select x as id, 1.5 * x as petal_length, 'setosa' as "
                + "species from system_range(1, 300)");
        assertThat(owner.putBody(api("upload", "data/flowers.parquet"), HttpRequest.BodyPublishers.ofByteArray(flowers))
                .statusCode()).isEqualTo(201);
        var table = json(viewer, api("preview", "data/flowers.parquet"));
        assertThat(table.path("kind").asString()).isEqualTo("parquet");
        assertThat(table.path("rows").toString()).contains("PETAL_LENGTH").contains("setosa").contains("4.5");

        var binary = json(viewer, api("preview", "data/big.bin"));
        assertThat(binary.path("kind").asString()).isEqualTo("binary");
        assertThat(binary.path("note").asString()).contains("200 MB");
    }

    @Test
    @Order(7)
    void pathsOutOfTheHomeLinksOutOfItAndViewersChangingFilesAreRefused() throws Exception {
        assertStatus(owner.get(api("list", "../")), 400, ". or ..");
        assertStatus(owner.get(api("preview", "/etc/passwd")), 400, "inside the machine's home");
        assertStatus(owner.get(api("download", ".kiln/secrets")), 403, "credentials");
        assertStatus(owner.get(api("preview", "workspace/.git/config")), 403, ".git");
        shell.sh("ln -s /etc etc-link");
        assertStatus(owner.get(api("preview", "etc-link/passwd")), 403, "outside the machine's home");
        assertStatus(owner.get(api("download", "etc-link/passwd")), 403, "outside the machine's home");
        assertStatus(owner.putBody(api("upload", "etc-link/x"), HttpRequest.BodyPublishers.ofString("x")), 403,
                "outside the machine's home");

        assertStatus(viewer.putBody(api("upload", "data/v.txt"), HttpRequest.BodyPublishers.ofString("x")), 403,
                "view");
        assertStatus(viewer.deleteRequest(api("", "data/sums.csv").replace("/fs/?", "/fs?")), 403, "view");
        assertStatus(viewer.post("/api/studios/" + studioId + "/fs/rename", "{\"from\":\"data/sums.csv\",\"to\":\"x\"}"),
                403, "view");
        assertStatus(viewer.post("/api/studios/" + studioId + "/fs/folder", "{\"path\":\"data/new\"}"), 403, "view");
        assertThat(home().resolve("data/sums.csv")).exists();
        var stranger = ServerTestSupport.newUser(accounts, "Sam Stranger");
        var theirs = KilnHttp.signIn(owner.base, stranger.getUsername(), "password-" + stranger.getUsername());
        assertThat(theirs.get(api("list", "data")).statusCode()).isEqualTo(404);
        assertThat(theirs.get(api("download", "data/sums.csv")).statusCode()).isEqualTo(404);
    }

    @Test
    @Order(8)
    void anUploadOverTheLimitIsRefusedBeforeItsBytesAreRead() throws Exception {
        // Headers only: the server must answer without waiting for (or reading) 400 MB.
        var response = rawPut(api("upload", "data/huge.bin"), 400L << 20);
        assertThat(response).startsWith("HTTP/1.1 413").contains("over the upload limit of 300 MB");
        assertThat(home().resolve("data/huge.bin")).doesNotExist();
    }

    @Test
    @Order(9)
    void renameAndDeleteOnTheMachineAndTheirRefusals() {
        assertThat(owner.post("/api/studios/" + studioId + "/fs/rename",
                "{\"from\":\"data/sums.csv\",\"to\":\"data/archive/sums-2026.csv\"}").statusCode()).isEqualTo(204);
        assertThat(home().resolve("data/archive/sums-2026.csv")).hasContent("a,b\n1,2");
        assertStatus(owner.post("/api/studios/" + studioId + "/fs/rename",
                "{\"from\":\"data/nothing\",\"to\":\"data/x\"}"), 404, "Not found");
        assertThat(owner.deleteRequest("/api/studios/" + studioId + "/fs?path=data/archive").statusCode()).isEqualTo(204);
        assertThat(home().resolve("data/archive")).doesNotExist();
        assertStatus(owner.deleteRequest("/api/studios/" + studioId + "/fs?path=workspace"), 400, "workspace itself");
    }

    @Test
    @Order(10)
    void aFullDiskOnTheMachineRefusesTheUploadAndLeavesNothingHalfWritten() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(smallDisks.size() == 2,
                "needs root to mount small tmpfs disks in the machine's home");
        // ~/tiny is a 1 MB disk: a 2 MB upload is refused before a byte is written.
        var tooBig = owner.putBody(api("upload", "tiny/weights.bin"),
                HttpRequest.BodyPublishers.ofByteArray(new byte[2 << 20]));
        assertStatus(tooBig, 413, "free; this file needs 2.0 MB. Nothing was written.");
        // ~/few has room for bytes but not for one more file: the disk fills as the upload starts writing.
        shell.sh("i=0; while touch few/f$i 2>/dev/null; do i=$((i+1)); done");
        var full = owner.putBody(api("upload", "few/data.bin"), HttpRequest.BodyPublishers.ofByteArray(new byte[4096]));
        assertStatus(full, 413, "disk is full");
        // The disk fills while an upload is being written (a job writing its outputs): refused, the part removed.
        var halfway = new java.util.concurrent.CountDownLatch(1);
        int length = 800 << 10;
        var slow = new InputStream() {
            int sent;

            @Override
            public int read() throws java.io.IOException {
                byte[] one = new byte[1];
                return read(one, 0, 1) < 0 ? -1 : one[0];
            }

            @Override
            public int read(byte[] buffer, int offset, int count) {
                if (sent >= length) {
                    return -1;
                }
                if (sent >= 300 << 10) {
                    try {
                        halfway.await();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                }
                int n = Math.min(Math.min(count, 16 << 10), length - sent);
                sent += n;
                return n;
            }
        };
        var upload = java.util.concurrent.CompletableFuture.supplyAsync(() -> owner.putBody(api("upload",
                "tiny/outputs.bin"), HttpRequest.BodyPublishers.fromPublisher(HttpRequest.BodyPublishers.ofInputStream(
                () -> slow), length)));
        await().atMost(Duration.ofSeconds(30)).until(() -> partSize(home().resolve("tiny")) >= 128 << 10);
        shell.sh("head -c 2m /dev/zero > tiny/filler 2>/dev/null || true");
        halfway.countDown();
        assertStatus(upload.get(60, java.util.concurrent.TimeUnit.SECONDS), 413, "disk is full");
        shell.sh("rm tiny/filler");
        for (String disk : List.of("tiny", "few")) {
            assertThat(entries(json(owner, api("list", disk))).keySet()).as("what ~/%s shows", disk)
                    .noneMatch(name -> name.contains("weights") || name.contains("data.bin") || name.contains("outputs")
                            || name.contains(".part"));
            try (var files = Files.list(home().resolve(disk))) {
                assertThat(files.map(f -> f.getFileName().toString())).as("what is on ~/%s", disk)
                        .noneMatch(name -> name.contains("weights") || name.contains("data.bin")
                                || name.contains("outputs") || name.contains(".part") || name.startsWith(".kiln"));
            }
        }
    }

    @Test
    @Order(11)
    void aBinaryFileChangedOnTheMachineAndInTheStudioAtOnceKeepsBothVersions() throws Exception {
        byte[] studios = {0, 9, 9, 9, (byte) 0xff, 0, 42};
        byte[] machines = {0, 7, 7, 7, (byte) 0xff, 0, 42};
        BinaryConflicts.make(context, studioId, "model.bin", new byte[] {0, 1, 2, 3, (byte) 0xff, 0, 42}, studios,
                machines);
        var workspace = workspaces.get(studioId);
        assertThat(workspace.bytes("model.bin")).as("the studio's version stays").isEqualTo(studios);
        assertThat(workspace.bytes("model (machine).bin")).as("the machine's beside it").isEqualTo(machines);
        var history = json(owner, "/api/studios/" + studioId + "/history?path=" + URLEncoder.encode("model (machine).bin",
                StandardCharsets.UTF_8));
        assertThat(history.get(0).path("authorName").asString()).isEqualTo("Studio machine");
        assertThat(history.get(0).path("message").asString()).contains("model (machine).bin");
        var commit = org.eclipse.jgit.api.Git.wrap(workspace.repository()).log().setMaxCount(1).call().iterator().next();
        assertThat(commit.getFullMessage()).as("the commit says why there are two")
                .contains("model.bin was changed on the machine and in the studio at once")
                .contains("kept as model (machine).bin");
        assertThat(entries(json(owner, "/api/studios/" + studioId + "/fs/workspace")))
                .containsKeys("workspace/model.bin", "workspace/model (machine).bin");
        assertThat(revisions.notices(studioId)).as("everyone's tree is told")
                .anyMatch(n -> n.text().contains("model.bin was changed on the machine and in the studio at once"));
    }

    @Test
    @Order(12)
    void aJobsCheckpointFolderDownloadsAndItsWeightsPreviewAsTensors() throws Exception {
        var job = owner.runJob(studioId, "example.SumRegression", "samples=512", "--trainer.max-epochs=1");
        assertThat(job.path("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");
        String checkpoints = "jobs/" + job.path("id").asString() + "/checkpoints";
        assertThat(entries(json(viewer, api("list", checkpoints)))).containsKey(checkpoints + "/last");
        Path zip = Files.createTempFile("kiln-", ".zip");
        assertThat(viewer.download(api("download", checkpoints) + "&format=zip", zip).statusCode()).isEqualTo(200);
        var contents = new HashMap<String, byte[]>();
        try (var in = new ZipInputStream(Files.newInputStream(zip))) {
            for (var entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                contents.put(entry.getName(), in.readAllBytes());
            }
        }
        assertThat(contents.get("checkpoints/last/model.safetensors")).as("the weights the job saved, as saved")
                .isEqualTo(Files.readAllBytes(home().resolve(checkpoints + "/last/model.safetensors")));
        var tensors = json(viewer, api("preview", checkpoints + "/last/model.safetensors"));
        assertThat(tensors.path("kind").asString()).isEqualTo("safetensors");
        assertThat(tensors.path("tensors").toString()).contains("\"name\":\"hidden.weight\",\"dtype\":\"F32\","
                + "\"shape\":[32,16]").contains("\"name\":\"out.bias\"");
        Files.delete(zip);
    }

    @Test
    @Order(20)
    void withTheMachineStoppedTheWorkspaceStaysAndTheRestIsOffline() throws Exception {
        owner.postJson("/api/studios/" + studioId + "/machine/stop", "{}");
        await().atMost(Duration.ofSeconds(30)).until(() -> !json(owner, "/api/studios/" + studioId + "/fs/workspace")
                .path("machineOnline").asBoolean());
        var tree = entries(json(owner, "/api/studios/" + studioId + "/fs/workspace"));
        assertThat(tree).containsKeys("workspace/README.md", "workspace/data/train.csv").doesNotContainKey("workspace/out");
        var home = json(owner, api("list", ""));
        assertThat(home.path("machineOnline").asBoolean()).isFalse();
        assertThat(home.path("note").asString()).contains("machine is stopped");
        assertThat(json(viewer, api("preview", "workspace/data/train.csv")).path("rows").toString())
                .isEqualTo("[[\"x\",\"y\"],[\"1\",\"2\"]]");
        assertStatus(owner.get(api("preview", "data/plot.png")), 409, "not running");
        var upload = owner.putBody(api("upload", "workspace/notes.md"), HttpRequest.BodyPublishers.ofString("offline\n"));
        assertThat(upload.statusCode()).as(upload.body()).isEqualTo(201);
        assertThat(json(owner, "/api/studios/" + studioId + "/file?path=notes.md").path("text").asString())
                .isEqualTo("offline\n");
        assertStatus(owner.putBody(api("upload", "data/x.bin"), HttpRequest.BodyPublishers.ofString("x")), 409,
                "not running");
        Path zip = Files.createTempFile("kiln-", ".zip");
        assertThat(viewer.download(api("download", "workspace"), zip).statusCode()).isEqualTo(200);
        var names = new java.util.ArrayList<String>();
        try (var in = new ZipInputStream(Files.newInputStream(zip))) {
            for (var entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                names.add(entry.getName());
            }
        }
        assertThat(names).contains("workspace/README.md", "workspace/notes.md").noneMatch(n -> n.contains(".git/"));
    }

    /** The size of the upload being written in {@code folder} (its part file), 0 when there is none. */
    private static long partSize(Path folder) throws java.io.IOException {
        try (var files = Files.list(folder)) {
            return files.filter(f -> f.getFileName().toString().endsWith(".part")).mapToLong(f -> f.toFile().length())
                    .sum();
        }
    }

    private static void assertStatus(java.net.http.HttpResponse<String> response, int status, String message) {
        assertThat(response.statusCode()).as(response.body()).isEqualTo(status);
        assertThat(response.body()).contains(message);
    }

    /** A PUT with only its headers sent, as a client about to send {@code length} bytes; the raw answer. */
    private String rawPut(String path, long length) throws Exception {
        var csrf = KilnHttp.JSON.readTree(owner.get("/api/studios/csrf").body());
        try (var socket = new Socket("localhost", port)) {
            socket.setSoTimeout(20_000);
            String request = "PUT " + path + " HTTP/1.1\r\nHost: localhost:" + port + "\r\nCookie: "
                    + owner.cookieHeader() + "\r\n" + csrf.path("headerName").asString() + ": "
                    + csrf.path("token").asString() + "\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                    + length + "\r\n\r\n";
            socket.getOutputStream().write(request.getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            InputStream in = socket.getInputStream();
            var answer = new ByteArrayOutputStream();
            byte[] buffer = new byte[8192];
            int n;
            while (!answer.toString(StandardCharsets.UTF_8).contains("}") && (n = in.read(buffer)) > 0) {
                answer.write(buffer, 0, n);
            }
            return answer.toString(StandardCharsets.UTF_8);
        }
    }

    /** A safetensors file of F32 tensors of these shapes (header and zeros), as the training runtime writes them. */
    static byte[] safetensors(Map<String, long[]> shapes) {
        var header = KilnHttp.JSON.createObjectNode();
        long offset = 0;
        for (var entry : new java.util.TreeMap<>(shapes).entrySet()) {
            long elements = 1;
            for (long d : entry.getValue()) {
                elements *= d;
            }
            var tensor = header.putObject(entry.getKey()).put("dtype", "F32");
            var shape = tensor.putArray("shape");
            for (long d : entry.getValue()) {
                shape.add(d);
            }
            tensor.putArray("data_offsets").add(offset).add(offset + 4 * elements);
            offset += 4 * elements;
        }
        header.putObject("__metadata__").put("format", "pt");
        byte[] json = header.toString().getBytes(StandardCharsets.UTF_8);
        var file = ByteBuffer.allocate(8 + json.length + (int) offset).order(ByteOrder.LITTLE_ENDIAN);
        file.putLong(json.length).put(json);
        return file.array();
    }

    static String sha256(Path file) throws Exception {
        var digest = MessageDigest.getInstance("SHA-256");
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 20];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
