package dev.kiln.machine.kernel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Kiln's Java kernel as a real process (JShell inside), driven over ZeroMQ by the same client the agent uses: state
 * across cells, results, exceptions with their trace in cell lines, compile errors, an endless loop and a sleep
 * interrupted (the kernel's state survives), rich displays through the display hook, completion and shutdown.
 */
class JavaKernelIT {
    static Path dir;
    static KernelSession kernel;

    @BeforeAll
    static void start() throws Exception {
        dir = Files.createTempDirectory("kiln-java-kernel");
        kernel = KernelSession.java(dir, List.of());
    }

    @AfterAll
    static void stop() {
        if (kernel != null) {
            kernel.close();
        }
    }

    @Test
    void stateCarriesFromCellToCellAndTheLastExpressionIsTheResult() throws Exception {
        var first = kernel.run("int x = 40;\nString greet(String who) { return \"hello \" + who; }\nSystem.out.println(greet(\"notebook\"));", 60);
        assertThat(first.status()).isEqualTo("ok");
        assertThat(first.stdout()).isEqualTo("hello notebook\n");
        var second = kernel.run("var list = new ArrayList<Integer>();\nlist.add(x);\nx + 2", 60);
        assertThat(second.status()).isEqualTo("ok");
        var result = second.ofType("execute_result");
        assertThat(result).hasSize(1);
        assertThat(result.getFirst().content().path("data").path("text/plain").asString()).isEqualTo("42");
        assertThat(second.reply().path("execution_count").asInt()).isGreaterThan(first.reply().path("execution_count").asInt());
        assertThat(second.ofType("execute_input")).hasSize(1);
    }

    @Test
    void anExceptionComesBackWithItsTraceInCellLines() throws Exception {
        var run = kernel.run("int divide(int a, int b) {\n    return a / b;\n}\nSystem.out.println(\"before\");\ndivide(1, 0);\nSystem.out.println(\"never\");", 60);
        assertThat(run.status()).isEqualTo("error");
        assertThat(run.stdout()).isEqualTo("before\n");
        var error = run.ofType("error").getFirst().content();
        assertThat(error.path("ename").asString()).isEqualTo("java.lang.ArithmeticException");
        assertThat(error.path("evalue").asString()).isEqualTo("/ by zero");
        var traceback = error.path("traceback").toString();
        assertThat(traceback).contains("at divide(cell line 2)").contains("(cell line 5)").doesNotContain("jdk.jshell");
    }

    @Test
    void aCompileErrorSaysWhere() throws Exception {
        var run = kernel.run("int ok = 1;\nint broken = \"text\";", 60);
        assertThat(run.status()).isEqualTo("error");
        var error = run.ofType("error").getFirst().content();
        assertThat(error.path("ename").asString()).isEqualTo("CompileError");
        assertThat(error.path("evalue").asString()).startsWith("line 2: incompatible types");
        assertThat(error.path("traceback").get(1).asString()).contains("int broken = \"text\";");
        var incomplete = kernel.run("for (int i = 0; i < 3; i++) {\n  System.out.println(i);", 60);
        assertThat(incomplete.ofType("error").getFirst().content().path("ename").asString()).isEqualTo("IncompleteCode");
    }

    @Test
    void anEndlessLoopAndASleepAreInterruptedAndTheStateStays() throws Exception {
        kernel.run("long kept = 7;", 60);
        String loop = kernel.submit("long spins = 0;\nwhile (true) { spins++; }");
        Thread.sleep(1500); // it is spinning now
        kernel.client().request("control", "interrupt_request", JupyterMessage.JSON.createObjectNode())
                .get(10, TimeUnit.SECONDS);
        var interrupted = kernel.await(loop, 30);
        assertThat(interrupted.ofType("error")).singleElement()
                .satisfies(e -> assertThat(e.content().path("ename").asString()).isEqualTo("Interrupted"));

        String sleep = kernel.submit("Thread.sleep(120_000);");
        Thread.sleep(1000);
        kernel.client().request("control", "interrupt_request", JupyterMessage.JSON.createObjectNode())
                .get(10, TimeUnit.SECONDS);
        assertThat(kernel.await(sleep, 30).ofType("error")).hasSize(1);

        var after = kernel.run("kept * 6", 60);
        assertThat(after.ofType("execute_result").getFirst().content().path("data").path("text/plain").asString())
                .isEqualTo("42");
    }

    @Test
    void streamsArriveWhileTheCellRuns() throws Exception {
        String id = kernel.submit("for (int i = 0; i < 30; i++) { System.out.println(\"line \" + i); Thread.sleep(100); }");
        await().atMost(20, TimeUnit.SECONDS).until(() -> kernel.outputs(id).stream().anyMatch(m -> m.type().equals("stream")));
        var partial = kernel.outputs(id);
        var run = kernel.await(id, 60);
        assertThat(run.stdout()).startsWith("line 0\n").endsWith("line 29\n");
        // The first text came before the cell ended: streamed, not sent at the end.
        assertThat(partial.stream().filter(m -> m.type().equals("stream")).count()).isLessThan(
                run.ofType("stream").size());
    }

    @Test
    void displaysAndUpdatesThroughTheDisplayHook() throws Exception {
        var run = kernel.run("""
                var sink = (java.util.function.Consumer<String>) System.getProperties().get("kiln.notebook.display");
                sink.accept("{\\"kind\\":\\"display\\",\\"id\\":\\"p1\\",\\"data\\":{\\"text/html\\":\\"<b>0%</b>\\",\\"text/plain\\":\\"0%\\"}}");
                sink.accept("{\\"kind\\":\\"update\\",\\"id\\":\\"p1\\",\\"data\\":{\\"text/html\\":\\"<b>100%</b>\\",\\"text/plain\\":\\"100%\\"}}");
                """, 60);
        assertThat(run.status()).isEqualTo("ok");
        var display = run.ofType("display_data").getFirst().content();
        assertThat(display.path("transient").path("display_id").asString()).isEqualTo("p1");
        assertThat(run.ofType("update_display_data").getFirst().content().path("data").path("text/plain").asString())
                .isEqualTo("100%");
    }

    @Test
    void completionComesFromJShellsSourceAnalysis() throws Exception {
        var content = JupyterMessage.JSON.createObjectNode();
        content.put("code", "String s = \"x\"; s.toUpp");
        content.put("cursor_pos", 24);
        var reply = kernel.client().request("shell", "complete_request", content).get(60, TimeUnit.SECONDS).content();
        assertThat(reply.path("matches").toString()).contains("toUpperCase(");
        assertThat(reply.path("cursor_start").asInt()).isEqualTo(18);
    }

    @Test
    void documentationComesFromJShellsSourceAnalysis() throws Exception {
        var content = JupyterMessage.JSON.createObjectNode();
        content.put("code", "Math.max");
        content.put("cursor_pos", 8);
        var reply = kernel.client().request("shell", "inspect_request", content).get(60, TimeUnit.SECONDS).content();
        assertThat(reply.path("found").asBoolean()).as(reply.toString()).isTrue();
        assertThat(reply.path("data").path("text/plain").asString()).contains("int Math.max(int a, int b)")
                .contains("double Math.max(double a, double b)");
    }

    @Test
    void aWronglySignedMessageIsIgnored() throws Exception {
        var stranger = new ConnectionInfo(kernel.client().info().ip(), kernel.client().info().shellPort(),
                kernel.client().info().iopubPort(), kernel.client().info().stdinPort(), kernel.client().info().controlPort(),
                kernel.client().info().hbPort(), "not-the-key", "java");
        try (var client = new KernelClient(stranger, new KernelClient.Listener() {
            public void iopub(JupyterMessage m) {}

            public void reply(String c, JupyterMessage m) {}
        })) {
            var content = JupyterMessage.JSON.createObjectNode();
            content.put("code", "System.exit(3);");
            var reply = client.request("shell", "execute_request", content);
            Thread.sleep(2000);
            assertThat(reply).isNotDone();
        }
        assertThat(kernel.process().isAlive()).isTrue();
        assertThat(Files.readString(kernel.log)).contains("wrong signature");
    }
}
