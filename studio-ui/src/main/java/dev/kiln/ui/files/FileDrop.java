package dev.kiln.ui.files;

import dev.kiln.api.files.FileEntry;
import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.ComponentEvent;
import com.vaadin.flow.component.ComponentEventListener;
import com.vaadin.flow.component.DomEvent;
import com.vaadin.flow.component.HasComponents;
import com.vaadin.flow.component.HasSize;
import com.vaadin.flow.component.Tag;
import com.vaadin.flow.component.dependency.JsModule;
import com.vaadin.flow.shared.Registration;

/**
 * Server side of {@code <kiln-file-drop>} (frontend/src/kiln-file-drop.ts): the file tree's drop zone and upload
 * list. The browser streams each upload straight to the REST API (a PUT per file, with its progress); the server
 * only says which studio, where to, the limit, and hears when uploads are done.
 */
@Tag("kiln-file-drop")
@JsModule("./kiln/kiln-file-drop.ts")
public class FileDrop extends Component implements HasComponents, HasSize {

    public FileDrop(String studioId, long maxBytes, String filesButtonId, String folderButtonId) {
        getElement().setProperty("studio", studioId);
        getElement().setProperty("maxBytes", (double) maxBytes);
        getElement().setProperty("pickers", filesButtonId + "," + folderButtonId);
        setTarget(FileEntry.WORKSPACE);
    }

    /** The home-relative folder that picked files (and files dropped outside a folder row) go to. */
    public void setTarget(String folder) {
        getElement().setProperty("target", folder);
    }

    /** Viewers: nothing can be dropped or picked. */
    public void setReadOnly(boolean readOnly) {
        getElement().setProperty("readonly", readOnly);
    }

    public Registration addUploadedListener(ComponentEventListener<UploadedEvent> listener) {
        return addListener(UploadedEvent.class, listener);
    }

    /** Some uploads finished. */
    @DomEvent("uploaded")
    public static class UploadedEvent extends ComponentEvent<FileDrop> {
        public UploadedEvent(FileDrop source, boolean fromClient) {
            super(source, fromClient);
        }
    }
}
