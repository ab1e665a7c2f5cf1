package dev.kiln.machine.kernel;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A real Jupyter kernel (Debian's python3-ipykernel 6.17), found through its kernelspec the way the agent finds it and
 * driven through the Jupyter wire protocol over JeroMQ: execute, stream, result, error with traceback, rich output
 * (an image/png), interrupt by SIGINT (Jupyter's default for kernelspecs without interrupt_mode), and shutdown.
 */
class IpykernelIT {
    static KernelSession kernel;

    @BeforeAll
    static void start() throws Exception {
        DebianPython.require("ipykernel");
        var specs = KernelSpecs.discover(Files.createTempDirectory("kiln-home"), Map.of(), new KernelSpec("java", "Java",
                "java", java.util.List.of("java"), Map.of(), "message", null));
        assertThat(specs).containsKeys("java", "python3");
        var python = specs.get("python3");
        assertThat(python.language()).isEqualTo("python");
        assertThat(python.interruptsByMessage()).isFalse();
        kernel = KernelSession.spec(Files.createTempDirectory("kiln-ipykernel"), python);
    }

    @AfterAll
    static void stop() {
        if (kernel != null) {
            kernel.close();
        }
    }

    @Test
    void streamsResultsAndState() throws Exception {
        var first = kernel.run("import sys\nx = 41\nprint('hello')\nprint('oops', file=sys.stderr)", 60);
        assertThat(first.status()).isEqualTo("ok");
        assertThat(first.stdout()).isEqualTo("hello\n");
        assertThat(first.stderr()).isEqualTo("oops\n");
        var second = kernel.run("x + 1", 60);
        assertThat(second.ofType("execute_result").getFirst().content().path("data").path("text/plain").asString())
                .isEqualTo("42");
    }

    @Test
    void anErrorComesWithItsTraceback() throws Exception {
        var run = kernel.run("def f():\n    return 1 / 0\nf()", 60);
        assertThat(run.status()).isEqualTo("error");
        var error = run.ofType("error").getFirst().content();
        assertThat(error.path("ename").asString()).isEqualTo("ZeroDivisionError");
        // IPython colours its tracebacks with ANSI escapes (the notebook renders them); the text is there.
        var text = new StringBuilder();
        error.path("traceback").forEach(line -> text.append(line.asString()).append('\n'));
        assertThat(text.toString().replaceAll("\u001b\\[[0-9;]*m", "")).contains("return 1 / 0");
    }

    @Test
    void anImageIsARichOutput() throws Exception {
        var run = kernel.run("""
                import base64
                from IPython.display import Image, display
                png = base64.b64decode('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==')
                display(Image(data=png))
                """, 60);
        assertThat(run.status()).isEqualTo("ok");
        var display = run.ofType("display_data").getFirst().content();
        assertThat(display.path("data").path("image/png").asString()).startsWith("iVBORw0KGgo");
    }

    @Test
    void aSleepingCellIsInterruptedBySigint() throws Exception {
        String id = kernel.submit("import time\nfor i in range(600):\n    time.sleep(0.1)");
        Thread.sleep(1500);
        var kill = new ProcessBuilder("kill", "-INT", String.valueOf(kernel.process().pid())).start();
        assertThat(kill.waitFor(10, TimeUnit.SECONDS)).isTrue();
        var run = kernel.await(id, 30);
        assertThat(run.ofType("error").getFirst().content().path("ename").asString()).isEqualTo("KeyboardInterrupt");
        assertThat(kernel.run("'still here'", 60).ofType("execute_result")).hasSize(1);
    }

    @Test
    void shutdownEndsTheProcess() throws Exception {
        var other = KernelSession.spec(Files.createTempDirectory("kiln-ipykernel"), KernelSpecs.discover(
                Path.of("/nonexistent"), Map.of(), new KernelSpec("java", "Java", "java", java.util.List.of("java"),
                        Map.of(), "message", null)).get("python3"));
        try (other) {
            var content = JupyterMessage.JSON.createObjectNode();
            content.put("restart", false);
            var reply = other.client().request("control", "shutdown_request", content).get(30, TimeUnit.SECONDS);
            assertThat(reply.type()).isEqualTo("shutdown_reply");
            assertThat(other.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }
}
