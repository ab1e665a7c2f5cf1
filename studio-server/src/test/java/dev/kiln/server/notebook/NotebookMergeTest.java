package dev.kiln.server.notebook;

import dev.kiln.collab.ChangeSet;
import dev.kiln.collab.InMemoryDocumentStore;
import dev.kiln.collab.Update;
import dev.kiln.server.notebook.Notebook.Cell;
import dev.kiln.server.notebook.Notebook.CellType;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;

import java.time.Clock;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A machine's edit of an open notebook (a {@code git pull}, {@code sed}, a script rewriting the .ipynb) merged into the
 * live one cell by cell, by cell id, over what people did since the machine's version: their typing, their cells.
 */
class NotebookMergeTest {
    static final Notebook BASE = new Notebook(null, List.of(Cell.code("a", "int a = 1;\n"),
            Cell.code("b", "int b = 2;\nint c = 3;\n"), Cell.markdown("m", "# Notes")));

    LiveNotebook live(Notebook notebook) {
        return LiveNotebook.open("studio", "n.ipynb", notebook, 0, Map.of(), Clock.systemUTC(), new LiveNotebook.Stores() {
            public dev.kiln.collab.DocumentStore open(String cellId) {
                return new InMemoryDocumentStore();
            }

            public void delete(String cellId) {}
        }, (nb, structure) -> {});
    }

    static void type(LiveNotebook notebook, String cell, String text) {
        var authority = notebook.room(cell).authority();
        synchronized (authority) {
            int length = authority.text().length();
            authority.push(authority.version(), List.of(new Update(ChangeSet.replace(length, length, length, text), "typist")));
        }
    }

    static List<String> ids(LiveNotebook notebook) {
        return notebook.visibleCells().stream().map(CellList.Entry::id).toList();
    }

    static ObjectNode output(String text) {
        var output = Notebook.JSON.createObjectNode();
        output.put("output_type", "stream").put("name", "stdout").put("text", text);
        return output;
    }

    @Test
    void theMachinesLinesAndWhatWasTypedMeanwhileBothStay() {
        var notebook = live(BASE);
        type(notebook, "b", "// typed\n");
        var theirs = new Notebook(null, List.of(Cell.code("a", "int a = 1;\n"), Cell.code("b", "int b = 42;\nint c = 3;\n"),
                Cell.markdown("m", "# Notes")));
        notebook.mergeFrom(BASE, theirs, "Studio machine");
        assertThat(notebook.source("b")).isEqualTo("int b = 42;\nint c = 3;\n// typed\n");
        assertThat(notebook.source("a")).isEqualTo("int a = 1;\n");
        assertThat(notebook.version()).as("no structure op: the cells are the same cells").isZero();
    }

    @Test
    void cellsTheMachineAddsDeletesMovesAndRetypesFollowAndCellsAddedHereStay() {
        var notebook = live(BASE);
        notebook.structureByServer(new StructureOp.Insert("mine", CellType.CODE, "m", "added here"));
        var theirs = new Notebook(null, List.of(Cell.markdown("m", "# Notes"), Cell.code("a", "int a = 1;\n"),
                Cell.code("new", "from the machine"), new Cell("b", CellType.RAW, "int b = 2;\nint c = 3;\n", null,
                        List.of(), null, null)));
        notebook.mergeFrom(BASE, theirs, "Studio machine");
        assertThat(ids(notebook)).containsExactly("m", "a", "new", "b", "mine");
        assertThat(notebook.source("new")).isEqualTo("from the machine");
        assertThat(notebook.visibleCells().get(3).type()).isEqualTo(CellType.RAW);

        var deleting = new Notebook(null, List.of(Cell.markdown("m", "# Notes"), Cell.code("new", "from the machine")));
        notebook.mergeFrom(theirs, deleting, "Studio machine");
        assertThat(ids(notebook)).containsExactly("m", "new", "mine");
    }

    @Test
    void outputsTheMachineChangedAreTakenAndOthersKept() {
        var withOutputs = new Notebook(null, List.of(Cell.code("a", "1").withOutputs(List.of(output("one\n")), 1),
                Cell.code("b", "2").withOutputs(List.of(output("two\n")), 2)));
        var notebook = live(withOutputs);
        notebook.output("a", output("live\n"), false); // recorded here since (a run)
        var theirs = new Notebook(null, List.of(Cell.code("a", "1").withOutputs(List.of(output("one\n")), 1),
                Cell.code("b", "2").withOutputs(List.of(output("machine\n")), 5)));
        notebook.mergeFrom(withOutputs, theirs, "Studio machine");
        var snapshot = notebook.snapshot().cells();
        assertThat(snapshot.get(0).outputs()).extracting(o -> o.path("text").asString()).containsExactly("one\n", "live\n");
        assertThat(snapshot.get(1).outputs()).extracting(o -> o.path("text").asString()).containsExactly("machine\n");
        assertThat(snapshot.get(1).executionCount()).isEqualTo(5);
    }

    @Test
    void withoutTheMachinesEarlierVersionItsCellsWinWhereTheyDiffer() {
        var notebook = live(BASE);
        type(notebook, "b", "// typed\n");
        notebook.structureByServer(new StructureOp.Insert("mine", CellType.CODE, "m", "added here"));
        var theirs = new Notebook(null, List.of(Cell.code("a", "int a = 1;\n"), Cell.code("b", "int b = 42;\n")));
        notebook.mergeFrom(null, theirs, "Studio machine");
        assertThat(ids(notebook)).containsExactly("a", "b");
        assertThat(notebook.source("b")).isEqualTo("int b = 42;\n");
    }

    @Test
    void onlyNotebooksWhoseCellsAllHaveIdsAreMatchedCellByCell() {
        assertThat(Nbformat.namesEveryCell(Nbformat.write(BASE))).isTrue();
        assertThat(Nbformat.namesEveryCell("{\"nbformat\":4,\"nbformat_minor\":4,\"cells\":[{\"cell_type\":\"code\","
                + "\"source\":\"1\"}]}")).isFalse();
        assertThat(Nbformat.namesEveryCell("{\"cells\":[{\"id\":\"x\"},{\"id\":\"x\"}]}")).isFalse();
        assertThat(Nbformat.namesEveryCell("not json")).isFalse();
    }
}
