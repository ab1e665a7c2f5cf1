package dev.kiln.server.notebook;

import dev.kiln.collab.CollabRoom;
import org.junit.jupiter.api.Test;

import java.util.LinkedHashMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The re-run offer as saved in a notebook's state.json and read back (a closed notebook, a restarted server). */
class RebuildOfferStateTest {

    @Test
    void theCellsInOrderAndWhoRanEachComeBack() {
        var offer = new LinkedHashMap<String, CollabRoom.Participant>();
        offer.put("zeta", new CollabRoom.Participant(7, "Ada", "ada@example.com", "#123456", CollabRoom.Role.OWNER));
        offer.put("alpha", new CollabRoom.Participant(9, "Ben", "ben@example.com", "#654321", CollabRoom.Role.EDITOR));
        var saved = Notebook.JSON.readTree(NotebookDocuments.rebuildJson(offer).toString());
        var read = NotebookDocuments.readRebuild(saved);
        assertThat(read).containsExactlyEntriesOf(offer);
    }

    @Test
    void anUnreadableEntryIsLeftOutAndNoOfferIsEmpty() {
        var saved = Notebook.JSON.readTree("[{\"cell\":\"a\",\"by\":{\"userId\":1,\"name\":\"A\",\"role\":\"NOT-A-ROLE\"}},"
                + "{\"cell\":\"b\",\"by\":{\"userId\":2,\"name\":\"B\",\"role\":\"EDITOR\"}}]");
        assertThat(NotebookDocuments.readRebuild(saved)).containsOnlyKeys("b");
        assertThat(NotebookDocuments.readRebuild(Notebook.JSON.missingNode())).isEmpty();
    }
}
