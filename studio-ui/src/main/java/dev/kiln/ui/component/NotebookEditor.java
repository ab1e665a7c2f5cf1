package dev.kiln.ui.component;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.HasSize;
import com.vaadin.flow.component.Tag;
import com.vaadin.flow.component.dependency.JsModule;
import com.vaadin.flow.component.dependency.NpmPackage;

/**
 * Server side of {@code <kiln-notebook>} (frontend/src/kiln-notebook.ts): a Jupyter notebook edited and run together.
 * It talks to the notebook WebSocket by itself; the server only tells it which notebook.
 */
@Tag("kiln-notebook")
@JsModule("./kiln/kiln-notebook.ts")
// Listed too so that Vaadin's bundle check sees changes to them (it hashes @JsModule files, not their imports).
@JsModule("./kiln/notebook-session.ts")
@JsModule("./kiln/notebook-structure.ts")
@JsModule("./kiln/notebook-outputs.ts")
@JsModule("./kiln/kiln-chart.ts")
@JsModule("./kiln/protocol/notebook.ts")
@JsModule("./kiln/terminal-text.ts")
@JsModule("./kiln/notebook-docs.ts")
@NpmPackage(value = "dompurify", version = "3.4.18")
@NpmPackage(value = "marked", version = "18.2.1")
@NpmPackage(value = "@codemirror/autocomplete", version = "6.20.4")
public class NotebookEditor extends Component implements HasSize {

    /** Opens the notebook at {@code path} of the studio (its WebSocket connects at once). */
    public void open(String studioId, String path) {
        getElement().setProperty("url", "/notebook/" + studioId + "?path="
                + java.net.URLEncoder.encode(path, java.nio.charset.StandardCharsets.UTF_8));
    }

    public void close() {
        getElement().setProperty("url", "");
    }
}
