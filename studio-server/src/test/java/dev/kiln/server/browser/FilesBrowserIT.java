package dev.kiln.server.browser;

import com.microsoft.playwright.Browser;
import com.microsoft.playwright.Page;
import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.files.BinaryConflicts;
import org.junit.jupiter.api.Test;

import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Random;
import java.util.zip.ZipInputStream;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * The studio's files as one filesystem, in real browsers, with a real machine: two people in one studio; a file made
 * with {@code echo} in the terminal appears in both trees and opens; {@code sed -i} changes the file the teammate
 * has open and their editor shows it live; what the teammate types is what {@code cat} prints; a file deleted in the
 * terminal leaves the trees. The machine's home shows beside the workspace: a CSV as a table, a text file edited and
 * saved there, a rename and a confirmed delete through the tree, a 200 MB upload with its progress and back byte for
 * byte, an upload over the limit refused, a real job's checkpoint folder as a zip and its weights as tensors, an
 * image, an uploaded safetensors file's tensors, a folder upload; a binary file changed on both sides at once kept
 * twice, with a notice in both trees. With the machine stopped the workspace stays and the home says it is offline.
 */
class FilesBrowserIT extends BrowserTestBase {
    @org.springframework.test.context.DynamicPropertySource
    static void uploadLimit(org.springframework.test.context.DynamicPropertyRegistry registry) {
        registry.add("kiln.files.max-upload-size", () -> "250MB"); // the 200 MB upload fits, a 260 MB one does not
    }

    @org.springframework.beans.factory.annotation.Autowired
    org.springframework.context.ApplicationContext context;

    @Test
    void theTreeIsTheMachinesFilesystemLive() throws Exception {
        var admin = KilnHttp.signIn("http://localhost:" + port, "admin", ADMIN_PASSWORD);
        String studioId = admin.postJson("/api/studios", "{\"name\":\"One filesystem\"}").path("id").asString();
        String token = admin.postJson("/api/studios/" + studioId + "/links", "{\"role\":\"editor\"}").path("token")
                .asString();
        var teammate = ServerTestSupport.newUser(accounts, "Tara Teammate");
        KilnHttp.signIn(admin.base, teammate.getUsername(), "password-" + teammate.getUsername())
                .postJson("/api/studios/joined/" + token, "{}");
        admin.startMachine(studioId, "local-1");
        // A real job, run meanwhile: its checkpoint folder is downloaded and its weights previewed further down.
        String jobId = admin.postJson("/api/studios/" + studioId + "/jobs", "{\"entryPoint\":\"example.SumRegression\","
                + "\"nodes\":1,\"devices\":1,\"args\":[\"samples=512\",\"--trainer.max-epochs=1\"]}").path("id").asString();
        var options = new Browser.NewContextOptions().setViewportSize(1500, 900).setAcceptDownloads(true);
        try (var ownerContext = chromium.browser().newContext(options);
             var teamContext = chromium.browser().newContext(options)) {
            var owner = signedIn(ownerContext, "admin", ADMIN_PASSWORD);
            var team = signedIn(teamContext, teammate);
            owner.navigate(url("/studio/" + studioId));
            team.navigate(url("/studio/" + studioId));
            assertThat(owner.locator("[data-path='README.md']")).isVisible();
            openLiveFile(team, "README.md");

            // A file made in the terminal appears in both trees, and opens.
            type(owner, "echo 'made in the terminal' > from-terminal.txt");
            assertThat(owner.locator("[data-path='from-terminal.txt']")).isVisible();
            assertThat(team.locator("[data-path='from-terminal.txt']")).isVisible();
            // It shows at once as on the machine only, and as versioned once the machine's change is committed.
            assertThat(owner.locator("[data-path='from-terminal.txt'][data-where='VERSIONED']")).isVisible();
            openLiveFile(owner, "from-terminal.txt");
            assertThat(owner.locator("#editor .cm-content")).containsText("made in the terminal");
            owner.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("files-from-terminal.png")));

            // sed -i on the file the teammate has open: their editor shows it, live.
            type(owner, "sed -i 's/^# One filesystem/# One filesystem, changed by sed/' README.md");
            assertThat(team.locator("#editor .cm-content")).containsText("changed by sed");
            team.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("files-sed-live.png")));

            // What the teammate types reaches the machine's file.
            editorContent(team).click();
            team.keyboard().press("Control+End");
            team.keyboard().type("\ntyped-by-tara");
            team.keyboard().press("Control+s");
            assertThat(team.locator("#dirty-mark")).isHidden();
            awaitTerminal(owner, "grep -c typed-by-tara README.md", "\n1\r");

            // Deleted in the terminal: gone from both trees.
            type(owner, "rm from-terminal.txt");
            assertThat(owner.locator("[data-path='from-terminal.txt']")).isHidden();
            assertThat(team.locator("[data-path='from-terminal.txt']")).isHidden();

            // The machine's home, beside the workspace: a CSV as a table.
            type(owner, "mkdir -p ~/data && printf 'name,score\\nada,3\\nben,5\\n' > ~/data/scores.csv");
            owner.locator("[data-path='~/data']").click(); // opens the folder
            assertThat(owner.locator("[data-path='~/data/scores.csv']")).isVisible();
            openInTree(owner, "~/data/scores.csv", "#file-preview-table");
            assertThat(owner.locator("#file-preview-table")).containsText("ada");
            assertThat(owner.locator("#file-viewer-meta")).containsText("in the machine's home");
            owner.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("files-csv-preview.png")));

            // A text file of the machine's home opens read-only, and an editor may change it and save it there.
            type(owner, "printf 'lr=0.1\\n' > ~/data/notes.txt");
            assertThat(owner.locator("[data-path='~/data/notes.txt']")).isVisible();
            owner.locator("[data-path='~/data/notes.txt']").click();
            assertThat(owner.locator("#file-preview-text .cm-content")).containsText("lr=0.1");
            assertThat(owner.locator("#file-preview-text .cm-content")).hasAttribute("contenteditable", "false");
            owner.locator("#file-viewer-edit").click();
            owner.locator("#file-preview-text .cm-content").click();
            owner.keyboard().press("Control+End");
            owner.keyboard().type("epochs=3");
            owner.locator("#file-viewer-save").click();
            awaitTerminal(owner, "cat ~/data/notes.txt", "epochs=3");

            // Renamed in the tree (the terminal sees the new name), then deleted after saying it can't be undone.
            owner.locator("[data-path='~/data/notes.txt']").click();
            owner.locator("#rename-file").click();
            owner.locator("#prompt-field input").fill("~/data/notes-renamed.txt");
            owner.locator("#prompt-ok").click();
            assertThat(owner.locator("[data-path='~/data/notes-renamed.txt']")).isVisible();
            assertThat(owner.locator("[data-path='~/data/notes.txt']")).isHidden();
            awaitTerminal(owner, "ls ~/data", "notes-renamed.txt");
            owner.locator("[data-path='~/data/notes-renamed.txt']").click();
            owner.locator("#delete-file").click();
            assertThat(owner.getByRole(com.microsoft.playwright.options.AriaRole.DIALOG)).containsText("This can't be undone");
            owner.locator("#confirm-button").click();
            assertThat(owner.locator("[data-path='~/data/notes-renamed.txt']")).isHidden();
            awaitTerminal(owner, "ls ~/data/notes-renamed.txt", "No such file");

            // A 200 MB upload into ~/data, streamed with its progress (the browser's upload held to 40 MB/s so
            // the progress is there to see), then downloaded back byte for byte.
            Path big = Files.createTempFile("kiln-browser-upload-", ".bin");
            writeRandom(big, 200);
            var cdp = ownerContext.newCDPSession(owner);
            cdp.send("Network.enable");
            var throttle = new com.google.gson.JsonObject();
            throttle.addProperty("offline", false);
            throttle.addProperty("latency", 0);
            throttle.addProperty("downloadThroughput", -1);
            throttle.addProperty("uploadThroughput", 40 * 1024 * 1024);
            cdp.send("Network.emulateNetworkConditions", throttle);
            // Uploads go to the selected file's folder: ~/data.
            owner.locator("[data-path='~/data/scores.csv']").click();
            assertThat(owner.locator("#file-drop")).hasAttribute("target", "data");
            owner.locator("#upload-input").setInputFiles(big);
            assertThat(owner.locator("#upload-list .item[data-state='uploading']")).isVisible();
            owner.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("files-upload-progress.png")));
            assertThat(owner.locator("#upload-list .item[data-state='done']")).isVisible(
                    new com.microsoft.playwright.assertions.LocatorAssertions.IsVisibleOptions().setTimeout(120_000));
            var throttleOff = new com.google.gson.JsonObject();
            throttleOff.addProperty("offline", false);
            throttleOff.addProperty("latency", 0);
            throttleOff.addProperty("downloadThroughput", -1);
            throttleOff.addProperty("uploadThroughput", -1);
            cdp.send("Network.emulateNetworkConditions", throttleOff);
            String bigName = big.getFileName().toString();
            assertThat(owner.locator("[data-path='~/data/" + bigName + "']")).isVisible();
            owner.locator("[data-path='~/data/" + bigName + "']").click();
            assertThat(owner.locator("#download-file")).hasAttribute("href", java.util.regex.Pattern.compile(".*" + bigName));
            var download = owner.waitForDownload(() -> owner.locator("#download-file").click());
            assertThat(sha256(download.path())).isEqualTo(sha256(big));
            Files.delete(big);

            // Over the configured limit: refused in the browser before a byte is sent, saying the limit.
            Path tooBig = big.resolveSibling("too-big-" + bigName);
            try (var file = new java.io.RandomAccessFile(tooBig.toFile(), "rw")) {
                file.setLength(260L << 20); // sparse: nothing to write
            }
            owner.locator("[data-path='~/data/scores.csv']").click();
            owner.locator("#upload-input").setInputFiles(tooBig);
            assertThat(owner.locator("#upload-list .item[data-state='failed']")).containsText(
                    "is over the upload limit of 250");
            assertThat(owner.locator("[data-path='~/data/" + tooBig.getFileName() + "']")).isHidden();
            Files.delete(tooBig);

            // The job's checkpoint folder downloads as a zip, and its weights preview as their tensors.
            assertThat(admin.awaitJobEnded(studioId, jobId).path("status").asString()).isEqualTo("SUCCEEDED");
            String job = "~/jobs/" + jobId;
            owner.locator("[data-path='~/jobs']").click();
            owner.locator("[data-path='" + job + "']").click();
            owner.locator("[data-path='" + job + "/checkpoints']").click();
            assertThat(owner.locator("#download-file")).hasAttribute("href", java.util.regex.Pattern.compile(".*checkpoints&format=zip"));
            var zip = owner.waitForDownload(() -> owner.locator("#download-file").click());
            assertThat(zip.suggestedFilename()).isEqualTo("checkpoints.zip");
            try (var in = new ZipInputStream(Files.newInputStream(zip.path()))) {
                var names = new java.util.ArrayList<String>();
                for (var entry = in.getNextEntry(); entry != null; entry = in.getNextEntry()) {
                    names.add(entry.getName());
                }
                assertThat(names).contains("checkpoints/last/model.safetensors");
            }
            owner.locator("[data-path='" + job + "/checkpoints/last']").click();
            owner.locator("[data-path='" + job + "/checkpoints/last/model.safetensors']").click();
            assertThat(owner.locator("#file-preview-tensors")).containsText("hidden.weight");
            assertThat(owner.locator("#file-preview-tensors")).containsText("[32 × 16]");
            owner.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("files-job-checkpoint.png")));

            // An image and a checkpoint's tensors, uploaded into the selected folder and previewed.
            Path picture = Files.createTempDirectory("kiln-img-").resolve("loss.png");
            var image = new java.awt.image.BufferedImage(120, 60, java.awt.image.BufferedImage.TYPE_INT_RGB);
            var g = image.createGraphics();
            g.setColor(java.awt.Color.ORANGE);
            g.fillRect(10, 10, 100, 40);
            g.dispose();
            javax.imageio.ImageIO.write(image, "png", picture.toFile());
            Path weights = picture.resolveSibling("model.safetensors");
            Files.write(weights, safetensors());
            owner.locator("[data-path='~/data/scores.csv']").click();
            assertThat(owner.locator("#file-drop")).hasAttribute("target", "data");
            owner.locator("#upload-input").setInputFiles(new Path[] {picture, weights});
            assertThat(owner.locator("[data-path='~/data/loss.png']")).isVisible();
            owner.locator("[data-path='~/data/loss.png']").click();
            assertThat(owner.locator("#file-preview-image")).isVisible();
            owner.waitForFunction("() => document.querySelector('#file-preview-image').naturalWidth === 120");
            owner.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("files-image-preview.png")));
            assertThat(owner.locator("[data-path='~/data/model.safetensors']")).isVisible();
            owner.locator("[data-path='~/data/model.safetensors']").click();
            assertThat(owner.locator("#file-preview-tensors")).containsText("encoder.weight");
            assertThat(owner.locator("#file-preview-tensors")).containsText("[4 × 3]");
            assertThat(owner.locator("#file-preview-tensors")).containsText("BF16");
            assertThat(owner.locator("#file-preview-summary")).containsText("2 tensors");
            owner.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("files-safetensors.png")));

            // A folder uploaded with what is in it, subfolders too.
            Path logs = Files.createTempDirectory("kiln-folder-").resolve("run-logs");
            Files.createDirectories(logs.resolve("sub"));
            Files.writeString(logs.resolve("metrics.csv"), "step,loss\n1,0.5\n");
            Files.writeString(logs.resolve("sub/notes.txt"), "from a folder upload\n");
            owner.locator("[data-path='~/data/scores.csv']").click();
            owner.locator("#upload-folder-input").setInputFiles(logs);
            assertThat(owner.locator("[data-path='~/data/run-logs']")).isVisible();
            owner.locator("[data-path='~/data/run-logs']").click();
            assertThat(owner.locator("[data-path='~/data/run-logs/metrics.csv']")).isVisible();
            owner.locator("[data-path='~/data/run-logs/sub']").click();
            openInTree(owner, "~/data/run-logs/sub/notes.txt", "#file-preview-text .cm-content");
            assertThat(owner.locator("#file-preview-text .cm-content")).containsText("from a folder upload");

            // A binary file changed in the studio and on the machine at once: both kept, and both trees say so.
            BinaryConflicts.make(context, studioId, "weights.bin", new byte[] {0, 1, 0, 2}, new byte[] {0, 3, 0, 4},
                    new byte[] {0, 5, 0, 6});
            assertThat(owner.locator("#file-notices")).containsText(
                    "weights.bin was changed on the machine and in the studio at once");
            assertThat(team.locator("#file-notices")).containsText("kept as weights (machine).bin");
            assertThat(owner.locator("[data-path='weights (machine).bin']")).isVisible();
            owner.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("files-conflict-notice.png")));
            owner.locator("#file-notices .kiln-file-notice-close").click();
            assertThat(owner.locator("#file-notices")).isHidden();
            assertThat(team.locator("#file-notices")).isVisible();

            // Machine stopped: the workspace stays browsable and editable; the home says it is offline.
            admin.postJson("/api/studios/" + studioId + "/machine/stop", "{}");
            assertThat(owner.locator("#machine-home")).containsText("offline");
            assertThat(owner.locator("[data-note*='machine is stopped']")).isVisible();
            assertThat(owner.locator("[data-path='~/data']")).isHidden();
            openLiveFile(owner, "README.md");
            editorContent(owner).click();
            owner.keyboard().press("Control+End");
            owner.keyboard().type("\nwritten while the machine is stopped");
            assertThat(owner.locator("#dirty-mark")).isHidden();
            owner.screenshot(new Page.ScreenshotOptions().setPath(SCREENSHOTS.resolve("files-machine-offline.png")));
        }
    }

    private static void type(Page page, String command) {
        page.locator("#terminal .xterm-screen").click();
        page.keyboard().type(command + "\n");
    }

    /**
     * Clicks a file in the tree until the viewer shows {@code shown}: a click that lands while the tree redraws
     * its rows (the machine reported a change) can be lost, and a person would click again.
     */
    private static void openInTree(Page page, String path, String shown) {
        for (int attempt = 0; attempt < 3; attempt++) {
            page.locator("[data-path='" + path + "']").click();
            try {
                page.locator(shown).waitFor(new com.microsoft.playwright.Locator.WaitForOptions().setTimeout(8000));
                return;
            } catch (com.microsoft.playwright.TimeoutError lost) {
                // click again
            }
        }
    }

    /** Runs a command in the terminal until its output shows {@code expected} (the file may take a moment). */
    private static void awaitTerminal(Page page, String command, String expected) {
        for (int attempt = 0; attempt < 20; attempt++) {
            page.locator("#terminal .xterm-screen").click();
            page.keyboard().type("clear; " + command + "\n");
            page.waitForTimeout(750);
            String screen = (String) page.evaluate("() => [...document.querySelectorAll('#terminal kiln-terminal')].find(t => !t.hidden).screenText()");
            if (screen.contains(expected.strip())) {
                return;
            }
        }
        throw new AssertionError("the terminal never showed " + expected + " for " + command);
    }

    private static void writeRandom(Path file, int megabytes) throws Exception {
        var random = new Random(200);
        byte[] block = new byte[1 << 20];
        try (OutputStream out = Files.newOutputStream(file)) {
            for (int i = 0; i < megabytes; i++) {
                random.nextBytes(block);
                out.write(block);
            }
        }
    }

    /** A checkpoint of two tensors as the training runtime writes them: an F32 weight and a BF16 bias. */
    private static byte[] safetensors() {
        String header = "{\"encoder.weight\":{\"dtype\":\"F32\",\"shape\":[4,3],\"data_offsets\":[0,48]},"
                + "\"encoder.bias\":{\"dtype\":\"BF16\",\"shape\":[4],\"data_offsets\":[48,56]},"
                + "\"__metadata__\":{\"format\":\"pt\"}}";
        byte[] json = header.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(8 + json.length + 56).order(ByteOrder.LITTLE_ENDIAN).putLong(json.length).put(json)
                .array();
    }

    private static String sha256(Path file) throws Exception {
        var digest = MessageDigest.getInstance("SHA-256");
        try (var in = Files.newInputStream(file)) {
            byte[] buffer = new byte[1 << 20];
            int n;
            while ((n = in.read(buffer)) > 0) {
                digest.update(buffer, 0, n);
            }
        }
        return HexFormat.of().formatHex(digest.digest());
    }
}
