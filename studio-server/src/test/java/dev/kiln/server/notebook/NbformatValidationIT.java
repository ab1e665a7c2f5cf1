package dev.kiln.server.notebook;

import org.junit.jupiter.api.BeforeAll;
import dev.kiln.machine.kernel.DebianPython;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Kiln's {@code .ipynb} files checked by the real nbformat validator (Debian's python3-nbformat 5.5), and laid out
 * exactly as nbformat itself writes them; a notebook nbformat made is read by Kiln.
 */
class NbformatValidationIT {
    /** Validates the file, then prints nbformat's own serialization of it (to compare with Kiln's). */
    private static final String VALIDATE = """
            import sys, nbformat
            nb = nbformat.read(sys.argv[1], as_version=nbformat.NO_CONVERT)
            nbformat.validate(nb)
            assert nb.nbformat == 4 and nb.nbformat_minor == 5, (nb.nbformat, nb.nbformat_minor)
            sys.stdout.write(nbformat.writes(nb) + "\\n")
            """;

    @BeforeAll
    static void python() {
        DebianPython.require("nbformat");
    }

    @Test
    void everyKindOfCellAndOutputKilnWritesIsValidAndLaidOutAsNbformatWritesIt(@TempDir Path dir) throws Exception {
        var stream = Notebook.JSON.createObjectNode();
        stream.put("output_type", "stream").put("name", "stdout").put("text", "line 1\nline 2\n");
        var error = Notebook.JSON.createObjectNode();
        error.put("output_type", "error").put("ename", "java.lang.ArithmeticException").put("evalue", "/ by zero");
        error.putArray("traceback").add("java.lang.ArithmeticException: / by zero").add("\tat .(#1:1)");
        var display = Notebook.JSON.createObjectNode();
        display.put("output_type", "display_data");
        display.putObject("data").put("text/html", "<table><tr><td>1</td></tr></table>").put("text/plain", "1")
                .put("image/png", "iVBORw0KGgoAAAANSUhEUg==");
        display.putObject("metadata");
        display.putObject("transient").put("display_id", "x");
        var chart = Notebook.JSON.createObjectNode();
        chart.put("output_type", "display_data");
        chart.putObject("data").set("application/vnd.kiln.chart+json", Notebook.JSON.readTree("{\"series\":{\"loss\":[[1,0.5]]}}"));
        chart.putObject("metadata");
        var result = Notebook.JSON.createObjectNode();
        result.put("output_type", "execute_result").put("execution_count", 3);
        result.putObject("data").put("text/plain", "2");
        result.putObject("metadata");
        var ran = Notebook.Cell.code(Nbformat.newCellId(), "int x = 1;\nx + 1").withOutputs(
                List.of(stream, error, display, chart, result), 3);
        ran.metadata().putObject("execution").put("iopub.execute_input", "2026-12-01T10:00:00.000Z")
                .put("shell.execute_reply", "2026-12-01T10:00:01.250Z");
        ran.metadata().putObject("kiln").put("ranBy", "Ada");
        var notebook = new Notebook(Notebook.empty("java", "Java (JShell)", "java").metadata(), List.of(
                Notebook.Cell.markdown(Nbformat.newCellId(), "# Über\n\n* a \"quoted\" list\t\u0001"),
                ran,
                Notebook.Cell.code(Nbformat.newCellId(), ""),
                new Notebook.Cell(Nbformat.newCellId(), Notebook.CellType.RAW, "raw\r\ntext", null, List.of(), null, null)));
        Path file = dir.resolve("kiln.ipynb");
        String written = Nbformat.write(notebook);
        Files.writeString(file, written);

        var check = DebianPython.run(List.of("-c", VALIDATE, file.toString()), 120);
        assertThat(check.code()).as(check.output()).isZero();
        assertThat(check.output()).isEqualTo(written);
    }

    @Test
    void aNotebookMadeByNbformatOpensInKiln(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("jupyter.ipynb");
        var made = DebianPython.run(List.of("-c", """
                import sys, nbformat
                from nbformat.v4 import new_notebook, new_code_cell, new_markdown_cell, new_output
                nb = new_notebook(cells=[new_markdown_cell("# Made by nbformat"),
                    new_code_cell("print(1)", execution_count=1, outputs=[new_output("stream", name="stdout", text="1\\n")])],
                    metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
                nbformat.write(nb, sys.argv[1])
                """, file.toString()), 120);
        assertThat(made.code()).as(made.output()).isZero();
        var notebook = Nbformat.read(Files.readString(file));
        assertThat(notebook.cells()).extracting(Notebook.Cell::source).containsExactly("# Made by nbformat", "print(1)");
        assertThat(notebook.cells().get(1).outputs().getFirst().get("text").asString()).isEqualTo("1\n");
        assertThat(Nbformat.write(notebook)).isEqualTo(Files.readString(file) + (Files.readString(file).endsWith("\n") ? "" : "\n"));
    }
}
