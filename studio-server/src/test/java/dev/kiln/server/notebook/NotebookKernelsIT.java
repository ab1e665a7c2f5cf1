package dev.kiln.server.notebook;

import dev.kiln.machine.kernel.DebianPython;
import dev.kiln.server.KilnHttp;
import dev.kiln.server.ServerTestSupport;
import dev.kiln.server.config.KilnProperties;
import dev.kiln.server.security.UserAccounts;
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

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Notebooks end to end on the local backend with real processes: a real agent in its sandbox starts Kiln's Java
 * kernel (JShell, with the training runtime and the studio's compiled classes) and Debian's ipykernel; cells run from
 * a real WebSocket client of {@code /notebook}; the server records outputs with no client connected; a failing cell
 * stops the ones queued after it; interrupt, restart and a dying kernel; viewers cannot run; the file Kiln writes back
 * is valid nbformat with the outputs in it.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NotebookKernelsIT {
    static final Duration START = Duration.ofMinutes(3);
    static final Duration RUN = Duration.ofMinutes(2);
    static final String PATH = "analysis.ipynb";

    @DynamicPropertySource
    static void dataDirectory(DynamicPropertyRegistry registry) {
        ServerTestSupport.freshDataDirectory(registry);
    }

    @LocalServerPort
    int port;
    @Autowired
    UserAccounts accounts;
    @Autowired
    KilnProperties properties;
    @Autowired
    NotebookDocuments documents;
    @Autowired
    NotebookKernels kernels;
    @Autowired
    dev.kiln.server.machine.MachineChannel channel;

    KilnHttp owner;
    String studioId;
    NotebookSocketClient client;

    @Test
    @Order(1)
    void javaCellsSeeTheWorkspaceAndTheTrainingRuntimeAndKeepTheirState() {
        var user = ServerTestSupport.newUser(accounts, "Nora Notebook");
        owner = KilnHttp.signIn("http://localhost:" + port, user.getUsername(), "password-" + user.getUsername());
        studioId = owner.postJson("/api/studios", "{\"name\":\"Notebooks\"}").path("id").asString();
        assertThat(owner.put("/api/studios/" + studioId + "/file?path=" + PATH, "{\"text\":\"\",\"baseVersion\":\"\"}")
                .statusCode()).isEqualTo(200);
        owner.startMachine(studioId, "local-2");
        client = NotebookSocketClient.open(owner, studioId, PATH);
        assertThat(client.welcome.path("role").asString()).isEqualTo("owner");
        assertThat(client.welcome.path("mayRun").asBoolean()).isTrue();

        client.insert("model", "code", null, """
                var module = new example.SumRegression(Map.of("samples", "512"));
                System.out.println("made " + module.getClass().getName());
                module.getClass().getSuperclass().getName()""");
        client.run("model");
        var run = client.awaitEnded("model", START);
        assertThat(run.path("state").asString()).as(client.outputs.toString()).isEqualTo("done");
        assertThat(run.path("by").asString()).isEqualTo("Nora Notebook");
        assertThat(client.text("model", "stdout")).isEqualTo("made example.SumRegression\n");
        assertThat(client.outputsOf("model", "execute_result").getFirst().path("data").path("text/plain").asString())
                .isEqualTo("\"dev.kiln.training.TrainingModule\"");
        assertThat(client.kernel.path("spec").asString()).isEqualTo("java");

        // A few training steps in a cell, with the live chart and progress bar of the display API.
        client.insert("fit", "code", "model", """
                var trainer = dev.kiln.training.Trainer.builder().maxEpochs(2).checkpointing(false).progressBar(false)
                        .rootDir(Path.of(System.getProperty("java.io.tmpdir"), "kiln-nb")).callbacks(liveTraining()).build();
                trainer.fit(module, module);
                trainer.globalStep()""");
        client.run("fit");
        var fit = client.awaitEnded("fit", RUN);
        assertThat(fit.path("state").asString()).as(client.outputs.get("fit").toString()).isEqualTo("done");
        assertThat(client.outputsOf("fit", "execute_result").getFirst().path("data").path("text/plain").asString())
                .isEqualTo("16");
        var displays = client.outputsOf("fit", "display_data");
        assertThat(displays).anySatisfy(d -> assertThat(d.path("data").path("application/vnd.kiln.chart+json")
                .path("series").path("loss").size()).isGreaterThan(1));
        assertThat(displays).anySatisfy(d -> assertThat(d.path("data").path("text/plain").asString()).contains("16/16"));
        assertThat(client.runs.get("fit").path("executionCount").asInt()).isEqualTo(2);
    }

    @Test
    @Order(2)
    void aFailingCellShowsItsTraceAndStopsTheCellsQueuedAfterIt() {
        client.insert("broken", "code", "fit", "int[] values = new int[2];\nvalues[5] = 1;");
        client.insert("after", "code", "broken", "System.out.println(\"never\");");
        client.run("broken", "after");
        assertThat(client.awaitEnded("broken", RUN).path("state").asString()).isEqualTo("error");
        var error = client.outputsOf("broken", "error").getFirst();
        assertThat(error.path("ename").asString()).isEqualTo("java.lang.ArrayIndexOutOfBoundsException");
        assertThat(error.path("traceback").toString()).contains("cell line 2");
        var after = client.awaitEnded("after", RUN);
        assertThat(after.path("state").asString()).isEqualTo("aborted");
        assertThat(after.path("detail").asString()).contains("a cell before it failed");
        assertThat(client.text("after", "stdout")).isEmpty();
    }

    @Test
    @Order(3)
    void aCellKeepsRunningAndRecordingWithNoBrowserAndAReopenSeesEverything() throws Exception {
        client.insert("ticks", "code", "after", "for (int i = 0; i < 40; i++) {\n    System.out.println(\"tick \" + i);\n"
                + "    Thread.sleep(150);\n}");
        client.run("ticks");
        await().atMost(RUN).until(() -> client.text("ticks", "stdout").contains("tick 3\n"));
        client.close();
        Thread.sleep(2500); // ticks go on with nobody connected
        client = NotebookSocketClient.open(owner, studioId, PATH);
        assertThat(client.text("ticks", "stdout")).contains("tick 10\n"); // produced meanwhile, in the welcome
        assertThat(client.awaitEnded("ticks", RUN).path("state").asString()).isEqualTo("done");
        var expected = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            expected.append("tick ").append(i).append('\n');
        }
        assertThat(client.text("ticks", "stdout")).isEqualTo(expected.toString()); // every line, once, in order
    }

    @Test
    @Order(4)
    void interruptStopsAnEndlessLoopAndWhatWasQueued() {
        client.insert("kept", "code", "ticks", "long kept = 6;");
        client.run("kept");
        client.awaitEnded("kept", RUN);
        client.insert("spin", "code", "kept", "while (true) { }");
        client.insert("queued", "code", "spin", "kept * 7");
        client.run("spin", "queued");
        await().atMost(RUN).until(() -> client.runState("spin").equals("running"));
        client.send("{\"type\":\"interrupt\"}");
        assertThat(client.awaitEnded("spin", RUN).path("state").asString()).isEqualTo("error");
        assertThat(client.outputsOf("spin", "error").getFirst().path("ename").asString()).isEqualTo("Interrupted");
        assertThat(client.awaitEnded("queued", RUN).path("detail").asString()).contains("interrupted");
        client.run("queued");
        assertThat(client.awaitEnded("queued", RUN).path("state").asString()).isEqualTo("done");
        assertThat(client.outputsOf("queued", "execute_result").getFirst().path("data").path("text/plain").asString())
                .isEqualTo("42");
    }

    @Test
    @Order(5)
    void restartForgetsTheStateAndADyingKernelShowsDead() {
        client.send("{\"type\":\"restart\"}");
        client.awaitKernel(s -> s.equals("restarting"), RUN);
        client.awaitKernel(s -> s.equals("idle"), START);
        client.run("queued");
        assertThat(client.awaitEnded("queued", RUN).path("state").asString()).isEqualTo("error");
        assertThat(client.outputsOf("queued", "error").getFirst().path("evalue").asString()).contains("cannot find symbol");

        client.insert("exit", "code", "queued", "System.exit(3);");
        client.run("exit");
        client.awaitKernel(s -> s.equals("dead"), RUN);
        assertThat(client.kernel.path("detail").asString()).contains("exited with code 3");
        assertThat(client.awaitEnded("exit", RUN).path("state").asString()).isEqualTo("lost");
    }

    @Test
    @Order(6)
    void pythonRunsOnIpykernelFromTheMachinesKernelspecs() {
        DebianPython.require("ipykernel");
        await().atMost(RUN).until(() -> client.kernel.path("specs").toString().contains("python3"));
        client.send("{\"type\":\"kernel\",\"spec\":\"python3\"}");
        client.awaitKernel(s -> s.equals("idle"), START);
        assertThat(client.kernel.path("spec").asString()).isEqualTo("python3");
        client.insert("py", "code", "exit", """
                import base64
                from IPython.display import Image, display
                print('from python')
                display(Image(data=base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==')))
                6 * 7""");
        client.run("py");
        assertThat(client.awaitEnded("py", RUN).path("state").asString()).isEqualTo("done");
        assertThat(client.text("py", "stdout")).isEqualTo("from python\n");
        assertThat(client.outputsOf("py", "display_data").getFirst().path("data").path("image/png").asString())
                .startsWith("iVBOR");
        assertThat(client.outputsOf("py", "execute_result").getFirst().path("data").path("text/plain").asString())
                .isEqualTo("42");
    }

    @Test
    @Order(7)
    void aViewerSeesEverythingButCannotRunOrEdit() {
        String token = owner.postJson("/api/studios/" + studioId + "/links", "{\"role\":\"viewer\"}").path("token").asString();
        var viewerUser = ServerTestSupport.newUser(accounts, "Vic Viewer");
        var viewer = KilnHttp.signIn("http://localhost:" + port, viewerUser.getUsername(), "password-" + viewerUser.getUsername());
        viewer.postJson("/api/studios/joined/" + token, "{}");
        try (var watching = NotebookSocketClient.open(viewer, studioId, PATH)) {
            assertThat(watching.welcome.path("role").asString()).isEqualTo("viewer");
            assertThat(watching.welcome.path("mayRun").asBoolean()).isFalse();
            assertThat(watching.text("ticks", "stdout")).contains("tick 39");
            watching.run("py");
            watching.insert("sneaky", "code", null, "print('no')");
            await().atMost(Duration.ofSeconds(10)).until(() -> watching.errors().size() >= 2);
            assertThat(watching.errors()).allSatisfy(e -> assertThat(e.path("code").asString()).isEqualTo("read-only"));
            assertThat(client.structure.shown().isLive("sneaky")).isFalse();
        }
    }

    @Test
    @Order(8)
    void theNotebookIsWrittenBackAsValidNbformatWithItsOutputs() throws Exception {
        Path file = properties.dataDir().resolve("workspaces").resolve(studioId).resolve(PATH);
        await().atMost(Duration.ofSeconds(60)).until(() -> Files.readString(file).contains("from python"));
        String text = Files.readString(file);
        var notebook = Nbformat.read(text);
        assertThat(notebook.cells()).extracting(Notebook.Cell::id).startsWith("model", "fit", "broken", "after", "ticks");
        assertThat(notebook.kernelName()).isEqualTo("python3");
        assertThat(text).contains("tick 39").contains("\"execution\"").contains("\"ranBy\": \"Nora Notebook\"");
        DebianPython.require("nbformat");
        var check = DebianPython.run(List.of("-c", "import sys, nbformat; nbformat.validate(nbformat.read(sys.argv[1], "
                + "as_version=4)); print('valid')", file.toString()), 120);
        assertThat(check.output()).as(check.output()).contains("valid");
        assertThat(Pattern.compile("\"cell_type\": \"code\"").matcher(text).results().count()).isGreaterThanOrEqualTo(10);
    }

    @Test
    @Order(9)
    void aMachineSwitchEndsTheKernelAndReRunsTheCellsThatRanInOrder() {
        client.send("{\"type\":\"kernel\",\"spec\":\"java\"}");
        client.awaitKernel(s -> s.equals("idle"), START);
        // Each cell needs the one before: only the order they ran in rebuilds the state.
        client.insert("base", "code", null, "int base = 40;");
        client.insert("sum", "code", "base", "int sum = base + 2;");
        client.insert("show", "code", "sum", "System.out.println(\"sum is \" + sum);");
        client.insert("unrun", "code", "show", "System.out.println(\"not run before, so not re-run\");");
        client.run("base", "sum");
        assertThat(client.awaitEnded("sum", RUN).path("state").asString()).isEqualTo("done");
        client.run("show");
        assertThat(client.awaitEnded("show", RUN).path("state").asString()).isEqualTo("done");
        assertThat(client.text("show", "stdout")).isEqualTo("sum is 42\n");

        owner.startMachine(studioId, "local-1"); // a switch: the old machine, and its kernel, go
        await().atMost(START).until(() -> client.kernel.path("detail").asString().contains("The new machine is ready"));
        assertThat(client.received).as("the kernel was said dead with the old machine").anySatisfy(m -> {
            assertThat(m.path("kernel").path("state").asString()).isEqualTo("dead");
            assertThat(m.path("kernel").path("detail").asString()).contains("re-run the 3 cells that ran");
        });
        assertThat(client.rebuild).containsExactly("base", "sum", "show");
        assertThat(client.text("show", "stdout")).as("outputs stay").isEqualTo("sum is 42\n");
        try (var later = NotebookSocketClient.open(owner, studioId, PATH)) {
            assertThat(later.rebuild).as("a browser that opens now sees the offer").containsExactly("base", "sum", "show");
        }
        // Everyone leaves, and the notebook (its kernel gone with the machine) closes on the server: the offer is kept
        // with its saved state, which is also what a restarted server opens it from.
        client.close();
        await().atMost(Duration.ofSeconds(30)).until(() -> !documents.isLive(studioId, PATH));
        client = NotebookSocketClient.open(owner, studioId, PATH);
        assertThat(client.rebuild).as("the offer outlived the closed notebook").containsExactly("base", "sum", "show");
        assertThat(client.kernel.path("detail").asString()).contains("re-run the 3 cells that ran there");

        client.send("{\"type\":\"rebuild\"}");
        await().atMost(Duration.ofSeconds(10)).until(() -> client.rebuild.isEmpty());
        await().atMost(START).until(() -> client.kernel.path("detail").asString().contains("State rebuilt"));
        assertThat(client.runState("show")).isEqualTo("done");
        assertThat(client.text("show", "stdout")).isEqualTo("sum is 42\n");
        assertThat(client.runs.get("base").path("executionCount").asInt()).isEqualTo(1);
        assertThat(client.runs.get("show").path("executionCount").asInt()).isEqualTo(3);
        assertThat(client.runState("unrun")).isEmpty();
        assertThat(client.kernel.path("detail").asString()).contains("re-ran the 3 cells");

        // The old machine's end, told late (its connection closing after the new one was up), is not this kernel's.
        var live = documents.openOf(studioId).stream().filter(n -> n.path.equals(PATH)).findFirst().orElseThrow();
        long generation = kernels.generationOf(live);
        assertThat(generation).isPositive();
        kernels.machineGone(studioId, new dev.kiln.machine.protocol.FromMachine.MachineLost(generation - 1));
        assertThat(client.kernel.path("state").asString()).isNotEqualTo("dead");
        client.run("show");
        assertThat(client.awaitEnded("show", RUN).path("state").asString()).as("the new machine's kernel still runs")
                .isEqualTo("done");
        assertThat(client.runs.get("show").path("executionCount").asInt()).isEqualTo(4);
        client.close();
    }

    @Test
    @Order(10)
    void theTemplatesNotebookReadsItsCsvShowsATableAndTrainsSumRegressionWithALiveLossChart() {
        try (var explore = NotebookSocketClient.open(owner, studioId, "explore.ipynb")) {
            var cells = explore.structure.shown().visible().stream()
                    .filter(e -> e.type() == Notebook.CellType.CODE).map(CellList.Entry::id).toList();
            assertThat(cells).containsExactly("read-csv", "tensors", "train");
            explore.run(cells.toArray(String[]::new));
            var train = explore.awaitEnded("train", START);
            assertThat(train.path("state").asString()).as(explore.outputs.toString()).isEqualTo("done");
            assertThat(explore.text("read-csv", "stdout")).startsWith("256 rows of 17 columns");
            assertThat(explore.outputsOf("read-csv", "display_data").getFirst().path("data").path("text/html").asString())
                    .contains("<th>f0</th>");
            assertThat(explore.outputsOf("tensors", "execute_result").getFirst().path("data").path("text/plain").asString())
                    .isEqualTo("256");
            assertThat(explore.outputsOf("train", "display_data")).anySatisfy(d -> assertThat(d.path("data")
                    .path("application/vnd.kiln.chart+json").path("series").path("loss").size()).isGreaterThan(10));
            assertThat(explore.text("train", "stdout")).contains("trained for 120 steps");
        }
    }

    @Test
    @Order(11)
    void aCellThatPrintsWithoutEndIsCappedHereAndKeptWholeOnTheMachine() {
        try (var flood = NotebookSocketClient.open(owner, studioId, "explore.ipynb")) {
            flood.insert("flood", "code", null, "for (long i = 0; ; i++) System.out.println(\"flood line \" + i);");
            flood.insert("after-flood", "code", "flood", "\"still here\"");
            flood.run("flood");
            await().atMost(RUN).until(() -> flood.text("flood", "stdout").contains("[Kiln: output capped"));
            flood.send("{\"type\":\"interrupt\"}");
            assertThat(flood.awaitEnded("flood", RUN).path("state").asString()).isEqualTo("error");
            String text = flood.text("flood", "stdout");
            assertThat(text.length()).isBetween(1_000_000, 1_001_000);
            assertThat(text).startsWith("flood line 0\n").contains("the rest goes on, all of it, in ~/.kiln/notebook-output/");
            flood.run("after-flood");
            assertThat(flood.awaitEnded("after-flood", RUN).path("state").asString()).isEqualTo("done");
        }
        // The whole of it is on the machine, past the cap.
        Path outputs = properties.dataDir().resolve("machines").resolve(studioId).resolve("home/.kiln/notebook-output");
        await().atMost(RUN).until(() -> {
            try (var files = Files.list(outputs)) {
                return files.anyMatch(f -> f.toFile().length() > 1_000_000);
            } catch (java.io.IOException e) {
                return false;
            }
        });
    }

    @Test
    @Order(12)
    void aNotebookJupyterMadeOpensAndRunsOnItsKernel() throws Exception {
        DebianPython.require("nbformat", "ipykernel");
        Path made = Files.createTempFile("made-by-jupyter", ".ipynb");
        var write = DebianPython.run(List.of("-c", """
                import sys, nbformat
                from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell
                nb = new_notebook(cells=[new_markdown_cell('# From Jupyter'), new_code_cell('print(6 * 7)')])
                nb.metadata['kernelspec'] = {'name': 'python3', 'display_name': 'Python 3 (ipykernel)', 'language': 'python'}
                nbformat.write(nb, sys.argv[1])
                """, made.toString()), 120);
        assertThat(write.code()).as(write.output()).isZero();
        var body = KilnHttp.JSON.createObjectNode().put("text", Files.readString(made)).put("baseVersion", "");
        assertThat(owner.put("/api/studios/" + studioId + "/file?path=jupyter.ipynb", body.toString()).statusCode())
                .isEqualTo(200);
        try (var opened = NotebookSocketClient.open(owner, studioId, "jupyter.ipynb")) {
            var cells = opened.structure.shown().visible();
            assertThat(cells).extracting(CellList.Entry::type).containsExactly(Notebook.CellType.MARKDOWN, Notebook.CellType.CODE);
            String code = cells.get(1).id();
            opened.run(code);
            assertThat(opened.awaitEnded(code, START).path("state").asString()).isEqualTo("done");
            assertThat(opened.kernel.path("spec").asString()).isEqualTo("python3");
            assertThat(opened.text(code, "stdout")).isEqualTo("42\n");
        }
    }

    @Test
    @Order(13)
    void openNotebooksCostLittleMemoryAndLargeFramesStillArriveWholeAndOneOverTheLimitCloses() {
        // Each connection's receive buffer is small: Tomcat allocates it whole per connection (a 4 MiB limit cost some
        // 12 MB of heap per open notebook). Larger frames arrive in parts and are put together.
        // A notebook with no outputs: the test's own clients (in this JVM) keep a copy of every output they get.
        assertThat(owner.put("/api/studios/" + studioId + "/file?path=small.ipynb", "{\"text\":\"\",\"baseVersion\":\"\"}")
                .statusCode()).isEqualTo(200);
        var memory = java.lang.management.ManagementFactory.getMemoryMXBean();
        var many = new java.util.ArrayList<NotebookSocketClient>();
        many.add(NotebookSocketClient.open(owner, studioId, "small.ipynb")); // the notebook itself is open before
        System.gc();
        long before = memory.getHeapMemoryUsage().getUsed();
        for (int i = 0; i < 40; i++) {
            many.add(NotebookSocketClient.open(owner, studioId, "small.ipynb"));
        }
        System.gc();
        long grown = memory.getHeapMemoryUsage().getUsed() - before;
        many.forEach(NotebookSocketClient::close);
        assertThat(grown).as("heap grown by 40 open notebooks").isLessThan(100L << 20);

        try (var big = NotebookSocketClient.open(owner, studioId, "explore.ipynb")) {
            String source = "// " + "x".repeat(900_000); // many parts of the 64 KiB buffer
            big.insert("big", "code", null, source);
            await().atMost(RUN).until(() -> big.structure.confirmed().isLive("big"));
        }
        try (var huge = NotebookSocketClient.open(owner, studioId, "explore.ipynb")) {
            huge.send("{\"type\":\"ping\",\"pad\":\"" + "y".repeat(NotebookSocket.MAX_FRAME) + "\"}");
            await().atMost(Duration.ofSeconds(30)).until(() -> huge.closeCode >= 0);
            assertThat(huge.closeCode).isEqualTo(1009);
        }
    }

    @Test
    @Order(15)
    void aMachineEditOfAnOpenNotebookIsMergedCellByCellAndKeepsWhatWasTypedMeanwhile() {
        String path = "merged.ipynb";
        assertThat(owner.put("/api/studios/" + studioId + "/file?path=" + path, "{\"text\":\"\",\"baseVersion\":\"\"}")
                .statusCode()).isEqualTo(200);
        try (var open = NotebookSocketClient.open(owner, studioId, path); var shell = new dev.kiln.server.files.MachineShell(channel, studioId)) {
            open.insert("kept", "code", null, "int kept = 7;\nkept * 6");
            open.insert("edited", "code", "kept", "int edited = 1;\nint other = 2;\n");
            open.run("kept");
            assertThat(open.awaitEnded("kept", RUN).path("state").asString()).isEqualTo("done");
            await().atMost(Duration.ofSeconds(60)).until(() -> shell.sh("cat workspace/" + path).contains("int other = 2;")
                    && shell.sh("cat workspace/" + path).contains("\"42\""));
            var live = documents.openOf(studioId).stream().filter(n -> n.path.equals(path)).findFirst().orElseThrow();
            int version = open.structure.version();

            // Someone types at the end of the cell (not yet written back) as the terminal's sed changes its first line.
            var authority = live.room("edited").authority();
            synchronized (authority) {
                int length = authority.text().length();
                authority.push(authority.version(), List.of(new dev.kiln.collab.Update(
                        dev.kiln.collab.ChangeSet.replace(length, length, length, "// typed meanwhile\n"), "typist")));
            }
            shell.sh("sed -i 's/int edited = 1;/int edited = 42;/' workspace/" + path);

            await().atMost(Duration.ofSeconds(30)).until(() -> live.source("edited").startsWith("int edited = 42;"));
            assertThat(live.source("edited")).isEqualTo("int edited = 42;\nint other = 2;\n// typed meanwhile\n");
            assertThat(open.structure.version()).as("no cell was replaced: the list did not change")
                    .isEqualTo(version);
            assertThat(open.structure.shown().visible()).extracting(CellList.Entry::id).containsExactly("kept", "edited");
            assertThat(open.outputsOf("kept", "execute_result")).as("the untouched cell keeps its output").hasSize(1);
            // Both changes reach the machine's file.
            await().atMost(Duration.ofSeconds(60)).until(() -> {
                String file = shell.sh("cat workspace/" + path);
                return file.contains("int edited = 42;") && file.contains("// typed meanwhile");
            });
        }
    }

    @Test
    @Order(14)
    void aMalformedNotebookIsRefusedWithWhyAndTheFileIsLeftAlone() throws Exception {
        String broken = "{\"nbformat\": 4, \"cells\": [ {\"cell_type\": \"code\"";
        var body = KilnHttp.JSON.createObjectNode().put("text", broken).put("baseVersion", "");
        assertThat(owner.put("/api/studios/" + studioId + "/file?path=broken.ipynb", body.toString()).statusCode()).isEqualTo(200);
        try (var refused = NotebookSocketClient.open(owner, studioId, "broken.ipynb")) {
            await().atMost(Duration.ofSeconds(30)).until(() -> refused.closeCode >= 0);
            assertThat(refused.closeCode).isEqualTo(4404);
            assertThat(refused.received).anySatisfy(m -> {
                assertThat(m.path("type").asString()).isEqualTo("closed");
                assertThat(m.path("message").asString()).contains("broken.ipynb cannot be opened as a notebook")
                        .contains("The file was not changed");
            });
        }
        Path file = properties.dataDir().resolve("workspaces").resolve(studioId).resolve("broken.ipynb");
        assertThat(Files.readString(file)).isEqualTo(broken);
    }
}
