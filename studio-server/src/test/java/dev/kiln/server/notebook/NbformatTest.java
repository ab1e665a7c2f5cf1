package dev.kiln.server.notebook;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NbformatTest {

    /** What Jupyter 4.x wrote for a small notebook (nbformat 4.5), byte for byte. */
    static final String JUPYTER = """
            {
             "cells": [
              {
               "cell_type": "markdown",
               "id": "5f1c2a9e",
               "metadata": {},
               "source": [
                "# Title\\n",
                "Some *text*"
               ]
              },
              {
               "cell_type": "code",
               "execution_count": 2,
               "id": "a1b2c3d4",
               "metadata": {
                "tags": [
                 "x"
                ]
               },
               "outputs": [
                {
                 "name": "stdout",
                 "output_type": "stream",
                 "text": [
                  "hello\\n",
                  "wörld\\n"
                 ]
                },
                {
                 "data": {
                  "image/png": "iVBORw0KGgo=\\n",
                  "text/plain": [
                   "<Figure>"
                  ]
                 },
                 "execution_count": 2,
                 "metadata": {},
                 "output_type": "execute_result"
                },
                {
                 "ename": "ZeroDivisionError",
                 "evalue": "division by zero",
                 "output_type": "error",
                 "traceback": [
                  "line 1"
                 ]
                }
               ],
               "source": [
                "print('hello')\\n",
                "1/0"
               ]
              }
             ],
             "metadata": {
              "kernelspec": {
               "display_name": "Python 3 (ipykernel)",
               "language": "python",
               "name": "python3"
              },
              "language_info": {
               "name": "python",
               "version": "3.11.2"
              }
             },
             "nbformat": 4,
             "nbformat_minor": 5
            }
            """;

    @Test
    void aNotebookWrittenByJupyterIsReadAndWrittenBackByteForByte() {
        var notebook = Nbformat.read(JUPYTER);
        assertThat(notebook.cells()).hasSize(2);
        var code = notebook.cells().get(1);
        assertThat(code.id()).isEqualTo("a1b2c3d4");
        assertThat(code.source()).isEqualTo("print('hello')\n1/0");
        assertThat(code.executionCount()).isEqualTo(2);
        assertThat(code.outputs().get(0).get("text").asString()).isEqualTo("hello\nwörld\n");
        assertThat(code.outputs().get(1).get("data").get("text/plain").asString()).isEqualTo("<Figure>");
        assertThat(notebook.kernelName()).isEqualTo("python3");
        assertThat(Nbformat.write(notebook)).isEqualTo(JUPYTER);
    }

    @Test
    void olderVersionsGetCellIdsAndAreWrittenAs45() {
        var old = """
                {"nbformat": 4, "nbformat_minor": 2, "metadata": {},
                 "cells": [{"cell_type": "code", "metadata": {}, "source": "x = 1", "outputs": [], "execution_count": null},
                           {"cell_type": "raw", "metadata": {}, "source": ["raw"]},
                           {"cell_type": "markdown", "id": "same", "metadata": {}, "source": ""},
                           {"cell_type": "markdown", "id": "same", "metadata": {}, "source": ""}]}
                """;
        var notebook = Nbformat.read(old);
        var ids = notebook.cells().stream().map(Notebook.Cell::id).toList();
        assertThat(ids).allMatch(id -> Nbformat.CELL_ID.matcher(id).matches()).doesNotHaveDuplicates();
        assertThat(ids.get(2)).isEqualTo("same");
        var written = Nbformat.write(notebook);
        assertThat(written).contains("\"nbformat_minor\": 5").contains("\"cell_type\": \"raw\"");
        assertThat(Nbformat.read(written).cells()).extracting(Notebook.Cell::id).isEqualTo(ids);
    }

    @Test
    void displayOutputsLoseTheirTransientPartsInTheFile() {
        var output = Notebook.JSON.createObjectNode();
        output.put("output_type", "display_data");
        output.putObject("data").put("text/html", "<b>1</b>\n<i>2</i>");
        output.putObject("metadata");
        output.putObject("transient").put("display_id", "d1");
        var notebook = new Notebook(null, List.of(Notebook.Cell.code("c1", "x").withOutputs(List.of(output), 1)));
        String file = Nbformat.write(notebook);
        assertThat(file).doesNotContain("transient").contains("\"<b>1</b>\\n\",");
        assertThat(Nbformat.read(file).cells().getFirst().outputs().getFirst().get("data").get("text/html").asString())
                .isEqualTo("<b>1</b>\n<i>2</i>");
    }

    @Test
    void linesAreSplitAsPythonSplitsThem() {
        assertThat(JupyterJson.splitLines("a\nb\r\nc\rd")).containsExactly("a\n", "b\r\n", "c\r", "d");
        assertThat(JupyterJson.splitLines("")).isEmpty();
        assertThat(JupyterJson.splitLines("x\n")).containsExactly("x\n");
    }

    @Test
    void numbersAreWrittenAsPythonWritesThem() {
        var node = Notebook.JSON.createObjectNode();
        node.put("a", 0.5).put("b", 1e-5).put("c", 12345678.0).put("d", 3).put("e", 1e20);
        assertThat(JupyterJson.write(node)).contains("\"a\": 0.5", "\"b\": 1e-05", "\"c\": 12345678.0", "\"d\": 3",
                "\"e\": 1e+20");
    }

    @Test
    void whatIsNotANotebookIsRefusedWithWhereAndWhy() {
        assertThatThrownBy(() -> Nbformat.read("{\"cells\": [\n  {\"cell_type\": \"code\",,}]}"))
                .isInstanceOf(NotebookFormatException.class).hasMessageContaining("line 2");
        assertThatThrownBy(() -> Nbformat.read("[1, 2]")).hasMessageContaining("JSON object");
        assertThatThrownBy(() -> Nbformat.read("{\"cells\": []}")).hasMessageContaining("nbformat");
        assertThatThrownBy(() -> Nbformat.read("{\"nbformat\": 3, \"worksheets\": []}")).hasMessageContaining("upgrade");
        assertThatThrownBy(() -> Nbformat.read("{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, "
                + "\"cells\": [{\"cell_type\": \"graph\", \"source\": \"\"}]}"))
                .hasMessageContaining("Cell 1").hasMessageContaining("\"code\", \"markdown\" or \"raw\"");
        assertThatThrownBy(() -> Nbformat.read("{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, "
                + "\"cells\": [{\"cell_type\": \"code\", \"source\": \"\", \"outputs\": [{\"output_type\": \"beep\"}]}]}"))
                .hasMessageContaining("Output 1 of cell 1");
    }
}
