package dev.kiln.ui.component;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.HasSize;
import com.vaadin.flow.component.Tag;
import com.vaadin.flow.component.dependency.JsModule;
import com.vaadin.flow.component.dependency.NpmPackage;

/**
 * Server side of {@code <kiln-terminal>} (frontend/src/kiln-terminal.ts): an xterm.js terminal that talks to the
 * studio's shared shell over the terminal WebSocket by itself; the server only tells it where.
 */
@Tag("kiln-terminal")
@JsModule("./kiln/kiln-terminal.ts")
// Listed too so that Vaadin's bundle check sees changes to it (it hashes @JsModule files, not their imports).
@JsModule("./kiln/protocol/terminal.ts")
@NpmPackage(value = "@xterm/xterm", version = "6.0.0")
@NpmPackage(value = "@xterm/addon-fit", version = "0.11.0")
public class TerminalView extends Component implements HasSize {

    public TerminalView(String studioId, String name) {
        getElement().setProperty("url", "/terminal/" + studioId + "?name=" + name);
    }

    public void focus() {
        getElement().callJsFunction("focusTerminal");
    }
}
