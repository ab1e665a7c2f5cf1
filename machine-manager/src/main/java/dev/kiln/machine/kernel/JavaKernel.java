package dev.kiln.machine.kernel;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.Consumer;

/**
 * Kiln's Java kernel: a Jupyter kernel process ({@code java ... dev.kiln.machine.kernel.JavaKernel <connection file>})
 * whose cells run on JShell ({@link JShellInterpreter}) with the classpath in {@code KILN_KERNEL_CLASSPATH} (the
 * training runtime and the workspace's compiled classes). It speaks the Jupyter protocol like any other kernel, so
 * the agent drives it exactly as it drives ipykernel, and Jupyter itself could too. Standard output and error become
 * the cells' streams; the notebook display API ({@code dev.kiln.training.notebook.Notebook}) finds its way to the
 * notebook through the system property {@value #DISPLAY}, a JDK type both class loaders share.
 */
public final class JavaKernel {
    /** Where the display API hands rich outputs (JSON text, see {@link DisplaySink}). */
    public static final String DISPLAY = "kiln.notebook.display";

    private JavaKernel() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: JavaKernel <connection file>");
            System.exit(2);
        }
        PrintStream log = System.err;
        KernelLog.use(log);
        var info = ConnectionInfo.read(Path.of(args[0]));
        var interpreter = new JShellInterpreter(JShellInterpreter.classpath(System.getenv("KILN_KERNEL_CLASSPATH")));
        var server = new KernelServer(info, interpreter, task -> {
            var thread = new Thread(task, "kiln-kernel-cells");
            thread.setDaemon(true);
            // Snippet threads inherit it: libraries that look up classes or services through it find the user's.
            thread.setContextClassLoader(interpreter.classLoader());
            return thread;
        });
        System.setOut(new PrintStream(server.stream("stdout"), true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(server.stream("stderr"), true, StandardCharsets.UTF_8));
        Consumer<String> display = new DisplaySink(server.outputs());
        System.getProperties().put(DISPLAY, display);
        // JShell starts on the cell thread, before any request: the kernel says it is ready only once it is.
        var ready = new java.util.concurrent.CompletableFuture<Void>();
        server.runFirst(() -> {
            try {
                interpreter.start();
                ready.complete(null);
            } catch (RuntimeException e) {
                ready.completeExceptionally(e);
            }
        });
        server.start();
        log.println("kiln-kernel: listening on " + info.ip() + " (shell " + info.shellPort() + ")");
        try {
            ready.join();
        } catch (RuntimeException e) {
            log.println("kiln-kernel: JShell could not start: " + e);
            System.exit(1);
        }
        log.println("kiln-kernel: ready");
        server.awaitShutdown();
        log.println("kiln-kernel: shutting down");
        Thread.sleep(100); // the shutdown reply leaves first
        server.close();
        System.exit(0);
    }
}
