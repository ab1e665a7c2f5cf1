package dev.kiln.machine.kernel;

import jdk.jshell.Diag;
import jdk.jshell.EvalException;
import jdk.jshell.ExpressionSnippet;
import jdk.jshell.JShell;
import jdk.jshell.JShellException;
import jdk.jshell.Snippet;
import jdk.jshell.SnippetEvent;
import jdk.jshell.SourceCodeAnalysis;
import jdk.jshell.UnresolvedReferenceException;
import jdk.jshell.VarSnippet;
import jdk.jshell.execution.LocalExecutionControl;
import jdk.jshell.spi.ExecutionControl;
import jdk.jshell.spi.ExecutionControlProvider;
import jdk.jshell.spi.ExecutionEnv;
import tools.jackson.databind.node.ObjectNode;

import java.io.File;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Java cells on JShell ({@code jdk.jshell}): each cell is cut into snippets with JShell's own source analysis and
 * evaluated in order, so declarations, statements and expressions mix as in the jshell tool, and state (variables,
 * methods, classes) carries from cell to cell. Snippets run in this process ("local" execution) in
 * {@link SnippetLoader}'s class loader over the training runtime and the workspace's classes. JShell instruments
 * snippet code with stop checks, so interrupting stops even an endless loop, and a sleeping or waiting cell is
 * interrupted. The last expression's value is the cell's result; an exception comes back with its trace in cell
 * lines; a compile error says where, as javac would.
 */
final class JShellInterpreter implements KernelServer.Interpreter {
    /** Imports every cell can use without writing them (the jshell tool's default set, and Kiln's display API). */
    static final List<String> STARTUP = List.of(
            "import java.io.*;", "import java.math.*;", "import java.net.*;", "import java.nio.file.*;",
            "import java.util.*;", "import java.util.concurrent.*;", "import java.util.function.*;",
            "import java.util.prefs.*;", "import java.util.regex.*;", "import java.util.stream.*;", "import java.time.*;",
            "import static dev.kiln.training.notebook.Notebook.*;", "import dev.kiln.training.notebook.*;");
    static final String DISPLAY_PACKAGE = "dev.kiln.training.notebook.";
    private static final java.util.Set<String> DISPLAY_TYPES = java.util.Set.of("Table", "LineChart", "Image", "Progress");

    private final SnippetLoader loader = new SnippetLoader();
    private final List<String> classpath;
    private JShell jshell;
    private SourceCodeAnalysis analysis;
    private volatile boolean running;
    private volatile boolean interrupted;

    JShellInterpreter(List<String> classpath) {
        this.classpath = List.copyOf(classpath);
    }

    ClassLoader classLoader() {
        return loader.classLoader();
    }

    /** Creates JShell and compiles a first snippet, so the first cell does not pay for it. On the worker thread. */
    void start() {
        jshell = JShell.builder().executionEngine(new ExecutionControlProvider() {
            @Override
            public String name() {
                return "kiln-local";
            }

            @Override
            public ExecutionControl generate(ExecutionEnv env, Map<String, String> parameters) {
                return new LocalExecutionControl(loader);
            }
        }, Map.of()).build();
        for (String entry : classpath) {
            jshell.addToClasspath(entry);
        }
        analysis = jshell.sourceCodeAnalysis();
        for (String line : STARTUP) {
            jshell.eval(line); // an import the classpath lacks is simply not there
        }
        jshell.eval("int $kilnWarmUp = 1;");
    }

    @Override
    public ObjectNode info() {
        var info = JupyterMessage.JSON.createObjectNode();
        info.put("implementation", "kiln-jshell");
        info.put("implementation_version", "0.1");
        var language = info.putObject("language_info");
        language.put("name", "java");
        language.put("version", System.getProperty("java.version"));
        language.put("mimetype", "text/x-java-source");
        language.put("file_extension", ".jshell");
        language.put("codemirror_mode", "text/x-java");
        info.put("banner", "Java " + System.getProperty("java.version") + " (JShell), with Kiln's training runtime");
        info.putArray("help_links");
        return info;
    }

    @Override
    public KernelServer.Failure execute(String code, int executionCount, KernelServer.Outputs out) {
        running = true;
        try {
            if (interrupted) {
                return interruptedFailure(); // interrupted after it was announced, before it began
            }
            return run(code, out);
        } finally {
            running = false;
            interrupted = false;
        }
    }

    private KernelServer.Failure run(String code, KernelServer.Outputs out) {
        var snippetLines = new HashMap<String, Integer>();
        String rest = code;
        int consumed = 0;
        String lastValue = null;
        VarSnippet lastVar = null;
        while (!rest.isBlank()) {
            var info = analysis.analyzeCompletion(rest);
            String source;
            String remaining;
            switch (info.completeness()) {
                case EMPTY -> {
                    if (info.remaining().length() >= rest.length()) {
                        return null;
                    }
                    consumed += rest.length() - info.remaining().length();
                    rest = info.remaining();
                    continue;
                }
                case COMPLETE, COMPLETE_WITH_SEMI -> {
                    source = info.source();
                    remaining = info.remaining();
                }
                case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> {
                    int line = lineOf(code, consumed + leadingBlank(rest));
                    return new KernelServer.Failure("IncompleteCode", "The code from line " + line
                            + " does not end: a bracket, quote or statement is left open.",
                            List.of("IncompleteCode: the code from cell line " + line + " does not end", "    "
                                    + firstLine(rest.strip())));
                }
                default -> {
                    source = rest;
                    remaining = "";
                }
            }
            int startLine = lineOf(code, consumed + leadingBlank(rest));
            List<SnippetEvent> events = jshell.eval(source);
            for (SnippetEvent event : events) {
                if (event.causeSnippet() != null) {
                    continue; // another snippet changed by this one (a redefinition)
                }
                Snippet snippet = event.snippet();
                snippetLines.put(snippet.id(), startLine);
                if (event.status() == Snippet.Status.REJECTED) {
                    return compileError(snippet, source, code, consumed);
                }
                if (interrupted) {
                    return interruptedFailure();
                }
                if (event.exception() != null) {
                    return exception(event.exception(), snippetLines);
                }
                if (event.status() == Snippet.Status.RECOVERABLE_DEFINED
                        || event.status() == Snippet.Status.RECOVERABLE_NOT_DEFINED) {
                    var missing = jshell.unresolvedDependencies((jdk.jshell.DeclarationSnippet) snippet).toList();
                    System.err.println("(cell line " + startLine + ") declared, but it cannot be used until "
                            + String.join(", ", missing) + (missing.size() == 1 ? " is" : " are") + " declared");
                }
                boolean expression = snippet instanceof ExpressionSnippet || (snippet instanceof VarSnippet var
                        && var.subKind() == Snippet.SubKind.TEMP_VAR_EXPRESSION_SUBKIND);
                lastValue = expression ? event.value() : null;
                lastVar = expression && snippet instanceof VarSnippet var ? var : null;
            }
            if (interrupted) {
                return interruptedFailure();
            }
            consumed += rest.length() - remaining.length();
            rest = remaining;
        }
        if (lastVar != null && isDisplayType(lastVar.typeName())) {
            // A chart, table or image as the cell's last value is shown, not printed as text.
            jshell.eval("dev.kiln.training.notebook.Notebook.result(" + lastVar.name() + ");");
        } else if (lastValue != null) {
            var data = JupyterMessage.JSON.createObjectNode();
            data.put("text/plain", lastValue);
            out.result(data);
        }
        return null;
    }

    /** The display API's types, by the name JShell gives them: simple, as every cell imports their package. */
    static boolean isDisplayType(String typeName) {
        return typeName.startsWith(DISPLAY_PACKAGE) || DISPLAY_TYPES.contains(typeName);
    }

    private static KernelServer.Failure interruptedFailure() {
        return new KernelServer.Failure("Interrupted", "The cell was interrupted.",
                List.of("Interrupted: the cell was stopped before it finished"));
    }

    /** javac's message for a rejected snippet, at its line in the cell ({@code offset}: where the snippet starts). */
    private KernelServer.Failure compileError(Snippet snippet, String source, String code, int offset) {
        var lines = new ArrayList<String>();
        String first = null;
        for (Diag diag : jshell.diagnostics(snippet).toList()) {
            if (!diag.isError()) {
                continue;
            }
            String message = diag.getMessage(Locale.ROOT);
            int position = (int) Math.max(0, Math.min(diag.getPosition(), source.length()));
            int line = lineOf(code, offset + position);
            int lineStart = source.lastIndexOf('\n', Math.max(0, position - 1)) + 1;
            if (position > 0 && source.charAt(position - 1) == '\n') {
                lineStart = position;
            }
            int lineEnd = source.indexOf('\n', position);
            String text = source.substring(lineStart, lineEnd < 0 ? source.length() : lineEnd);
            var messageLines = message.split("\n", 2);
            if (first == null) {
                first = "line " + line + ": " + messageLines[0];
            }
            lines.add("cell line " + line + ": error: " + messageLines[0]);
            lines.add("    " + text);
            lines.add("    " + " ".repeat(Math.max(0, position - lineStart)) + "^");
            if (messageLines.length > 1) {
                for (String more : messageLines[1].split("\n")) {
                    lines.add("  " + more.strip());
                }
            }
        }
        if (first == null) {
            first = "the code could not be compiled";
            lines.add("CompileError: " + first);
        }
        return new KernelServer.Failure("CompileError", first, lines);
    }

    private KernelServer.Failure exception(JShellException thrown, Map<String, Integer> snippetLines) {
        var lines = new ArrayList<String>();
        String ename;
        String evalue;
        if (thrown instanceof EvalException eval) {
            ename = eval.getExceptionClassName();
            evalue = eval.getMessage() == null ? "" : eval.getMessage();
        } else if (thrown instanceof UnresolvedReferenceException unresolved) {
            var missing = jshell.unresolvedDependencies(unresolved.getSnippet()).toList();
            ename = "UnresolvedReference";
            evalue = "This uses " + name(unresolved.getSnippet()) + ", which cannot run until "
                    + String.join(", ", missing) + (missing.size() == 1 ? " is" : " are") + " declared";
        } else {
            ename = thrown.getClass().getName();
            evalue = String.valueOf(thrown.getMessage());
        }
        lines.add(ename + (evalue.isEmpty() ? "" : ": " + evalue));
        trace(thrown, snippetLines, lines);
        Throwable cause = thrown.getCause();
        var seen = new LinkedHashSet<Throwable>();
        while (cause != null && seen.add(cause)) {
            String name = cause instanceof EvalException eval ? eval.getExceptionClassName() : cause.getClass().getName();
            lines.add("Caused by: " + name + (cause.getMessage() == null ? "" : ": " + cause.getMessage()));
            trace(cause, snippetLines, lines);
            cause = cause.getCause();
        }
        return new KernelServer.Failure(ename, evalue, lines);
    }

    private static String name(jdk.jshell.DeclarationSnippet snippet) {
        return switch (snippet) {
            case jdk.jshell.MethodSnippet m -> m.name() + "(" + m.parameterTypes() + ")";
            case jdk.jshell.VarSnippet v -> v.name();
            case jdk.jshell.TypeDeclSnippet t -> t.name();
            default -> snippet.source().strip();
        };
    }

    /** The frames people wrote: snippet frames as cell lines, library frames as they are, JShell's own left out. */
    private static void trace(Throwable thrown, Map<String, Integer> snippetLines, List<String> lines) {
        for (StackTraceElement frame : thrown.getStackTrace()) {
            String file = frame.getFileName();
            String className = frame.getClassName();
            if (className.startsWith("jdk.jshell.") || className.startsWith("jdk.internal.reflect.")
                    || className.startsWith("java.lang.reflect.") || className.startsWith("java.lang.Thread")) {
                continue;
            }
            if (file != null && file.startsWith("#")) {
                String id = file.substring(1);
                Integer start = snippetLines.get(id);
                String method = frame.getMethodName().equals("do_it$") ? "" : frame.getMethodName();
                lines.add("\tat " + method + (start != null ? "(cell line " + (start + frame.getLineNumber() - 1) + ")"
                        : "(an earlier cell, snippet " + id + " line " + frame.getLineNumber() + ")"));
            } else {
                lines.add("\tat " + frame);
            }
        }
    }

    @Override
    public ObjectNode complete(String code, int cursor) {
        int[] anchor = new int[1];
        var matches = new LinkedHashSet<String>();
        for (var suggestion : analysis.completionSuggestions(code, Math.min(cursor, code.length()), anchor)) {
            matches.add(suggestion.continuation());
        }
        var reply = JupyterMessage.JSON.createObjectNode();
        var list = reply.putArray("matches");
        matches.forEach(list::add);
        reply.put("cursor_start", anchor[0]);
        reply.put("cursor_end", Math.min(cursor, code.length()));
        reply.putObject("metadata");
        return reply;
    }

    @Override
    public ObjectNode inspect(String code, int cursor) {
        var reply = JupyterMessage.JSON.createObjectNode();
        int at = Math.min(cursor, code.length());
        var docs = analysis.documentation(code, at, true);
        if (docs.isEmpty()) {
            // JShell documents a method only inside its call ("Math.max(|"), not at its name ("Math.max|"), where
            // people ask: read the name to its end and ask as if its call had begun.
            int end = at;
            while (end < code.length() && Character.isJavaIdentifierPart(code.charAt(end))) {
                end++;
            }
            if (end > 0 && Character.isJavaIdentifierPart(code.charAt(end - 1))) {
                docs = analysis.documentation(code.substring(0, end) + "(", end + 1, true);
            }
        }
        var text = new StringBuilder();
        for (var doc : docs) {
            text.append(doc.signature()).append('\n');
            if (doc.javadoc() != null && !doc.javadoc().isBlank()) {
                text.append(JavadocText.plain(doc.javadoc())).append("\n\n");
            }
        }
        reply.put("found", !docs.isEmpty());
        reply.putObject("data").put("text/plain", text.toString().strip());
        reply.putObject("metadata");
        return reply;
    }

    @Override
    public String isComplete(String code) {
        String rest = code;
        while (!rest.isBlank()) {
            var info = analysis.analyzeCompletion(rest);
            switch (info.completeness()) {
                case DEFINITELY_INCOMPLETE, CONSIDERED_INCOMPLETE -> {
                    return "incomplete";
                }
                case UNKNOWN -> {
                    return "invalid";
                }
                default -> {
                    if (info.remaining().length() >= rest.length()) {
                        return "complete";
                    }
                    rest = info.remaining();
                }
            }
        }
        return "complete";
    }

    @Override
    public void interrupt() {
        interrupted = true;
        if (running && jshell != null) {
            // JShell's stop() only reaches a snippet already executing; one still compiling, or the next snippet of
            // the cell, would miss it. So it is repeated until the cell has ended.
            Thread.ofPlatform().daemon().name("kiln-kernel-stop").start(() -> {
                while (interrupted && running) {
                    jshell.stop();
                    try {
                        Thread.sleep(50);
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
        }
    }

    private static int lineOf(String text, int offset) {
        int line = 1;
        for (int i = 0; i < Math.min(offset, text.length()); i++) {
            if (text.charAt(i) == '\n') {
                line++;
            }
        }
        return line;
    }

    private static int leadingBlank(String text) {
        int i = 0;
        while (i < text.length() && Character.isWhitespace(text.charAt(i))) {
            i++;
        }
        return i;
    }

    private static String firstLine(String text) {
        int newline = text.indexOf('\n');
        return newline < 0 ? text : text.substring(0, newline);
    }

    /** The user's classpath from the kernel's environment: entries separated as on the platform. */
    static List<String> classpath(String value) {
        var entries = new ArrayList<String>();
        if (value != null) {
            for (String entry : value.split(File.pathSeparator)) {
                if (!entry.isBlank()) {
                    entries.add(entry);
                }
            }
        }
        return entries;
    }
}
