package dev.kiln.server.notebook;

import dev.kiln.server.collab.CollabDocuments;
import dev.kiln.server.studio.LiveDocuments;
import org.eclipse.jgit.lib.PersonIdent;
import org.springframework.context.annotation.Primary;
import org.springframework.stereotype.Component;

import java.util.Optional;

/**
 * The studio's live files, text documents and notebooks alike: a save, restore, rename or delete of a file someone has
 * open goes to whichever holds it, so an open notebook's cells follow a restore and a deleted notebook's kernel ends.
 * A notebook live as a notebook is never live as text at the same time: the file tree opens {@code .ipynb} files as
 * notebooks.
 */
@Component
@Primary
class LiveFiles implements LiveDocuments {
    private final CollabDocuments texts;
    private final NotebookDocuments notebooks;

    LiveFiles(CollabDocuments texts, NotebookDocuments notebooks) {
        this.texts = texts;
        this.notebooks = notebooks;
    }

    @Override
    public Optional<String> replaceIfLive(String studioId, String path, String text, String baseVersion, PersonIdent editor) {
        var notebook = notebooks.replaceIfLive(studioId, path, text, baseVersion, editor);
        return notebook.isPresent() ? notebook : texts.replaceIfLive(studioId, path, text, baseVersion, editor);
    }

    @Override
    public void commitNow(String studioId, String path) {
        if (notebooks.isLive(studioId, path)) {
            notebooks.commitNow(studioId, path);
        } else {
            texts.commitNow(studioId, path);
        }
    }

    @Override
    public void closeUnder(String studioId, String path, String why) {
        notebooks.closeUnder(studioId, path, why);
        texts.closeUnder(studioId, path, why);
    }

    /**
     * A change made on the machine to a file someone has open: a notebook open as a notebook merges it cell by cell
     * (by cell id), so what people typed in its cells meanwhile stays; merging the JSON as text would not keep cells
     * intact.
     */
    @Override
    public Optional<String> mergeIfLive(String studioId, String path, String base, String text, PersonIdent author) {
        if (notebooks.isLive(studioId, path)) {
            return notebooks.mergeIfLive(studioId, path, base, text, author);
        }
        return texts.mergeIfLive(studioId, path, base, text, author);
    }

    /** The live version: of a text document, or of a notebook, the file it would be written as now. */
    @Override
    public Optional<String> liveVersion(String studioId, String path) {
        if (notebooks.isLive(studioId, path)) {
            return Optional.ofNullable(notebooks.currentVersion(studioId, path));
        }
        return texts.liveVersion(studioId, path);
    }
}
