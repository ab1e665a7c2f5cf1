package dev.kiln.machine.agent;

import dev.kiln.machine.protocol.FromMachine;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

import javax.tools.Diagnostic;
import javax.tools.DiagnosticCollector;
import javax.tools.JavaFileObject;
import javax.tools.ToolProvider;

/** Compiles the workspace's Java sources against the training runtime with javax.tools, for jobs and notebook kernels. */
final class WorkspaceCompiler {
    private WorkspaceCompiler() {}

    /** Whether it compiled, and the compiler's errors and warnings with workspace-relative paths. */
    record Result(boolean ok, List<FromMachine.Diagnostic> diagnostics) {}

    static Result compile(Path home, Path sources, Path classes, List<String> classpath) throws IOException {
        List<Path> files;
        if (!Files.isDirectory(sources)) {
            return new Result(true, List.of());
        }
        try (Stream<Path> walk = Files.walk(sources)) {
            files = walk.filter(p -> p.toString().endsWith(".java")).toList();
        }
        if (files.isEmpty()) {
            return new Result(true, List.of());
        }
        var compiler = ToolProvider.getSystemJavaCompiler();
        if (compiler == null) {
            throw new IOException("this machine's Java has no compiler (the machine image needs a JDK, not a JRE)");
        }
        Files.createDirectories(classes);
        var diagnostics = new DiagnosticCollector<JavaFileObject>();
        try (var fileManager = compiler.getStandardFileManager(diagnostics, Locale.ROOT, StandardCharsets.UTF_8)) {
            var units = fileManager.getJavaFileObjectsFromPaths(files);
            var options = List.of("-d", classes.toString(), "-cp", String.join(File.pathSeparator, classpath),
                    "-proc:none", "-encoding", "UTF-8", "-g", "-Xlint:none");
            boolean ok = compiler.getTask(null, fileManager, diagnostics, options, null, units).call();
            var items = new ArrayList<FromMachine.Diagnostic>();
            Path workspaceRoot = home.resolve(WorkspaceSync.DIRECTORY);
            for (Diagnostic<? extends JavaFileObject> d : diagnostics.getDiagnostics()) {
                if (d.getKind() != Diagnostic.Kind.ERROR && d.getKind() != Diagnostic.Kind.WARNING) {
                    continue;
                }
                items.add(new FromMachine.Diagnostic(d.getKind() == Diagnostic.Kind.ERROR ? "error" : "warning",
                        d.getSource() == null ? null : workspaceRoot.relativize(Path.of(d.getSource().toUri()))
                                .toString().replace('\\', '/'), d.getLineNumber(), d.getColumnNumber(),
                        d.getMessage(Locale.ROOT)));
            }
            return new Result(ok, items);
        }
    }
}
