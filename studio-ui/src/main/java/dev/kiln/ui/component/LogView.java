package dev.kiln.ui.component;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.HasComponents;
import com.vaadin.flow.component.HasSize;
import com.vaadin.flow.component.Tag;
import com.vaadin.flow.component.dependency.JsModule;
import com.vaadin.flow.component.dependency.NpmPackage;

/**
 * Server side of {@code <kiln-log>} (frontend/src/kiln-log.ts): a long log in a read-only CodeMirror view, wrapped,
 * searchable, following its end. Components added go beside the search box (slot "actions").
 */
@Tag("kiln-log")
@JsModule("./kiln/kiln-log.ts")
@NpmPackage(value = "@codemirror/search", version = "6.7.2")
public class LogView extends Component implements HasSize, HasComponents {

    /** Appends whole lines. */
    public void append(java.util.List<String> lines) {
        if (!lines.isEmpty()) {
            getElement().callJsFunction("append", String.join("\n", lines) + "\n");
        }
    }

    public void clear() {
        getElement().callJsFunction("clear");
    }

    @Override
    public void add(Component... components) {
        for (Component component : components) {
            component.getElement().setAttribute("slot", "actions");
            getElement().appendChild(component.getElement());
        }
    }
}
