package dev.kiln.ui.component;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.ComponentEvent;
import com.vaadin.flow.component.ComponentEventListener;
import com.vaadin.flow.component.DomEvent;
import com.vaadin.flow.component.EventData;
import com.vaadin.flow.component.HasSize;
import com.vaadin.flow.component.Tag;
import com.vaadin.flow.component.dependency.JsModule;
import com.vaadin.flow.component.dependency.NpmPackage;
import com.vaadin.flow.shared.Registration;

import java.util.function.Consumer;

/**
 * Server side of {@code <kiln-code-editor>} (frontend/src/kiln-code-editor.ts), a CodeMirror 6 editor.
 * Live mode ({@link #connect}): the browser edits through the collaboration WebSocket; "dirty" means changes not yet
 * confirmed by the server. Plain mode ({@link #load}): text kept in the browser, fetched with {@link #readText}.
 */
@Tag("kiln-code-editor")
@JsModule("./kiln/kiln-code-editor.ts")
// Listed too so that Vaadin's bundle check sees changes to it (it hashes @JsModule files, not their imports).
@JsModule("./kiln/collab-session.ts")
@JsModule("./kiln/reconnect.ts")
@JsModule("./kiln/protocol/check.ts")
@JsModule("./kiln/protocol/collab.ts")
@NpmPackage(value = "codemirror", version = "6.0.2")
@NpmPackage(value = "@codemirror/state", version = "6.7.6")
@NpmPackage(value = "@codemirror/view", version = "6.43.15")
@NpmPackage(value = "@codemirror/language", version = "6.13.1")
@NpmPackage(value = "@codemirror/commands", version = "6.11.1")
@NpmPackage(value = "@codemirror/lang-java", version = "6.0.2")
@NpmPackage(value = "@codemirror/lang-python", version = "6.2.1")
@NpmPackage(value = "@codemirror/lang-markdown", version = "6.5.2")
@NpmPackage(value = "@codemirror/lang-yaml", version = "6.1.3")
@NpmPackage(value = "@codemirror/lang-json", version = "6.0.2")
@NpmPackage(value = "@codemirror/legacy-modes", version = "6.5.5")
@NpmPackage(value = "@codemirror/collab", version = "6.1.1")
@NpmPackage(value = "@codemirror/lint", version = "6.9.8")
public class CodeEditor extends Component implements HasSize {

    private boolean dirty;

    public CodeEditor() {
        addListener(DirtyChangedEvent.class, e -> dirty = e.isDirty());
    }

    /** Edits the file live through the collaboration WebSocket at {@code url} (a path on this server). */
    public void connect(String url, String fileName) {
        dirty = false;
        getElement().callJsFunction("connect", url, fileName);
    }

    /** Replaces the document, its undo history and the saved baseline. */
    public void load(String text, String fileName, boolean readOnly) {
        dirty = false;
        getElement().callJsFunction("load", text, fileName, readOnly);
    }

    /** Fetches the text the user is editing. */
    public void readText(Consumer<String> whenRead) {
        getElement().callJsFunction("getText").then(String.class, whenRead::accept);
    }

    /** Marks {@code savedText} as the saved baseline without touching the document (keeps cursor and undo). */
    public void markSaved(String savedText) {
        getElement().callJsFunction("markSaved", savedText);
    }

    public void focusEditor() {
        getElement().callJsFunction("focusEditor");
    }

    /** Wraps long lines at the editor's width, or not. */
    public void setWrap(boolean wrap) {
        getElement().callJsFunction("setWrap", wrap);
    }

    /** Puts the cursor at a line and column (1-based); with a message, marks a compile error there. */
    public void goTo(long line, long column, String message) {
        getElement().callJsFunction("goTo", (double) line, (double) column, message == null ? "" : message);
    }

    public boolean isDirty() {
        return dirty;
    }

    public Registration addDirtyChangedListener(ComponentEventListener<DirtyChangedEvent> listener) {
        return addListener(DirtyChangedEvent.class, listener);
    }

    public Registration addSaveRequestedListener(ComponentEventListener<SaveRequestedEvent> listener) {
        return addListener(SaveRequestedEvent.class, listener);
    }

    public Registration addCollabStatusListener(ComponentEventListener<CollabStatusEvent> listener) {
        return addListener(CollabStatusEvent.class, listener);
    }

    /** The live connection's state: connected, reconnecting, offline, revoked or closed, and unsent changes. */
    @DomEvent("collab-status")
    public static class CollabStatusEvent extends ComponentEvent<CodeEditor> {
        private final String status;
        private final int unsent;
        private final String message;

        public CollabStatusEvent(CodeEditor source, boolean fromClient, @EventData("event.detail.status") String status,
                                 @EventData("event.detail.unsent") int unsent, @EventData("event.detail.message") String message) {
            super(source, fromClient);
            this.status = status;
            this.unsent = unsent;
            this.message = message;
        }

        public String status() {
            return status;
        }

        public int unsent() {
            return unsent;
        }

        public String message() {
            return message;
        }
    }

    @DomEvent("dirty-changed")
    public static class DirtyChangedEvent extends ComponentEvent<CodeEditor> {
        private final boolean dirty;

        public DirtyChangedEvent(CodeEditor source, boolean fromClient, @EventData("event.detail.dirty") boolean dirty) {
            super(source, fromClient);
            this.dirty = dirty;
        }

        public boolean isDirty() {
            return dirty;
        }
    }

    @DomEvent("save-requested")
    public static class SaveRequestedEvent extends ComponentEvent<CodeEditor> {
        public SaveRequestedEvent(CodeEditor source, boolean fromClient) {
            super(source, fromClient);
        }
    }
}
