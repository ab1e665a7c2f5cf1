package dev.kiln.ui.component;

import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.textfield.TextField;
import dev.kiln.ui.testing.ViewTest;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/** The terminal tabs' Java side: names, the limit, and teammates' terminals appearing (xterm itself is not run). */
class TerminalTabsTest extends ViewTest {

    private TerminalTabs show(boolean canType) {
        var tabs = new TerminalTabs("s1", canType, () -> kiln.machines.terminals("s1"));
        UI.getCurrent().add(tabs);
        return tabs;
    }

    private List<String> tabs() {
        return $(Div.class).id("terminal-strip").getChildren().map(c -> c.getElement().getAttribute("data-terminal"))
                .filter(java.util.Objects::nonNull).toList();
    }

    @Test
    void aNewTerminalGetsTheNextNumberAndItsTab() {
        show(true);

        click("terminal-new");
        assertThat($(TextField.class).id("prompt-field").getValue()).isEqualTo("2");
        click("prompt-ok");

        assertThat(tabs()).containsExactly("1", "2");
    }

    @Test
    void aNameWithSpacesIsRefusedUnderTheField() {
        show(true);

        click("terminal-new");
        test($(TextField.class).id("prompt-field")).setValue("my shell");
        click("prompt-ok");

        assertThat($(TextField.class).id("prompt-field").getErrorMessage())
                .isEqualTo("A terminal's name is 1 to 32 letters, digits, - or _.");
        assertThat(tabs()).containsExactly("1");
    }

    @Test
    void aNinthTerminalIsRefused() {
        var terminals = show(true);
        for (int n = 2; n <= TerminalTabs.MAX; n++) {
            terminals.select(String.valueOf(n));
        }

        click("terminal-new");
        click("prompt-ok");

        assertThat($(TextField.class).id("prompt-field").getErrorMessage())
                .isEqualTo("A studio has at most 8 terminals; close one first (type exit in it).");
    }

    @Test
    void aTeammatesTerminalAppearsWithinAFewPolls() {
        show(true);

        kiln.machines.terminals.add("grace");
        for (int i = 0; i < 5; i++) {
            poll();
        }

        assertThat(tabs()).containsExactly("1", "grace");
    }

    @Test
    void aViewerCannotOpenTerminals() {
        show(false);

        assertThat($(Button.class).withId("terminal-new").exists()).isFalse();
    }
}
