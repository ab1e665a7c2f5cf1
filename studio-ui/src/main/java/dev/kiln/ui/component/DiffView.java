package dev.kiln.ui.component;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.HasSize;
import com.vaadin.flow.component.Tag;
import com.vaadin.flow.component.dependency.JsModule;
import com.vaadin.flow.component.dependency.NpmPackage;

/** Server side of {@code <kiln-diff>} (frontend/src/kiln-diff.ts): two versions side by side, read-only. */
@Tag("kiln-diff")
@JsModule("./kiln/kiln-diff.ts")
@NpmPackage(value = "@codemirror/merge", version = "6.12.2")
public class DiffView extends Component implements HasSize {

    /** The older text on the left, the newer on the right, each with what it is ("abc1234 · Ann · 2 h ago"). */
    public void show(String left, String leftLabel, String right, String rightLabel, String fileName) {
        getElement().setProperty("leftLabel", leftLabel);
        getElement().setProperty("rightLabel", rightLabel);
        getElement().callJsFunction("show", left, right, fileName);
    }
}
