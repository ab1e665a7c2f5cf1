package dev.kiln.ui.component;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.DetachEvent;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;
import com.vaadin.flow.component.icon.VaadinIcon;
import com.vaadin.flow.shared.Registration;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Several named terminals of one studio, each a shell on its machine shared with everyone in the studio: a tab per
 * terminal (those open on the server, so a teammate's new terminal shows up too), "+" for a new one (up to 8 a
 * studio), and the chosen one below. Each terminal keeps its connection while another is shown.
 */
public class TerminalTabs extends Div {
    public static final int MAX = 8;
    private static final String NAME = "[A-Za-z0-9_-]{1,32}";

    private final String studioId;
    private final Supplier<List<String>> openOnServer;
    private final Function<String, TerminalView> terminalFor;
    private final Div strip = new Div();
    private final Div content = new Div();
    /** By name; null for a terminal whose tab was never chosen here (a teammate's, say). */
    private final Map<String, TerminalView> terminals = new LinkedHashMap<>();
    private final Map<String, Div> tabs = new LinkedHashMap<>();
    private final Button add = new Button(VaadinIcon.PLUS.create());
    private Registration polling;
    private int polls;
    private String active;

    /** {@code openOnServer}: names of the studio's terminals the server has (others' included). */
    public TerminalTabs(String studioId, boolean canType, Supplier<List<String>> openOnServer) {
        this.studioId = studioId;
        this.openOnServer = openOnServer;
        this.terminalFor = name -> new TerminalView(studioId, name);
        addClassName("kiln-terminal-tabs");
        strip.addClassName("kiln-tab-strip");
        strip.setId("terminal-strip");
        content.addClassName("kiln-terminal-content");
        add.setId("terminal-new");
        add.addThemeVariants(ButtonVariant.LUMO_TERTIARY, ButtonVariant.LUMO_ICON, ButtonVariant.LUMO_SMALL);
        add.setAriaLabel("New terminal");
        add.setTooltipText("A new terminal on the machine, shared with everyone in the studio");
        add.setVisible(canType);
        add.addClickListener(e -> Dialogs.prompt("New terminal", "Name", nextName(), "Open", name -> {
            if (!name.matches(NAME)) {
                throw new IllegalArgumentException("A terminal's name is 1 to 32 letters, digits, - or _.");
            }
            if (!terminals.containsKey(name) && terminals.size() >= MAX) {
                throw new IllegalArgumentException("A studio has at most " + MAX + " terminals; close one first "
                        + "(type exit in it).");
            }
            select(name);
        }));
        strip.add(add);
        add(strip, content);
        select("1");
    }

    /** Shows the terminal of this name, opening a tab for it if needed. */
    public void select(String name) {
        ensure(name);
        active = name;
        var view = terminals.get(name);
        if (view == null) {
            // Made when first shown: xterm measures its characters as it opens, which it cannot do while hidden.
            view = terminalFor.apply(name);
            view.setId("terminal-" + name);
            view.addClassName("kiln-terminal-view");
            terminals.put(name, view);
            content.add(view);
        }
        terminals.forEach((n, v) -> {
            if (v != null) {
                v.setVisible(n.equals(name));
            }
        });
        tabs.forEach((n, tab) -> tab.getElement().setAttribute("data-active", String.valueOf(n.equals(name))));
        view.focus();
    }

    public List<String> names() {
        return List.copyOf(terminals.keySet());
    }

    private void ensure(String name) {
        if (terminals.containsKey(name)) {
            return;
        }
        terminals.put(name, null); // its view comes when the tab is first chosen
        var label = new Span(name.matches("\\d+") ? "Terminal " + name : name);
        var tab = new Div(label);
        tab.addClassName("kiln-tab");
        tab.getElement().setAttribute("data-terminal", name);
        tab.addClickListener(e -> select(name));
        tabs.put(name, tab);
        strip.addComponentAtIndex(tabs.size() - 1, tab);
    }

    /** The next free number: "2" after "1". */
    private String nextName() {
        for (int n = 1; ; n++) {
            if (!terminals.containsKey(String.valueOf(n))) {
                return String.valueOf(n);
            }
        }
    }

    /** Terminals teammates opened appear as tabs (checked every few seconds). */
    private void discover() {
        var names = new ArrayList<>(openOnServer.get());
        for (String name : names) {
            if (name.matches(NAME) && !terminals.containsKey(name)) {
                ensure(name);
            }
        }
    }

    @Override
    protected void onAttach(AttachEvent event) {
        discover();
        polling = event.getUI().addPollListener(e -> {
            if (++polls % 5 == 0) {
                discover();
            }
        });
    }

    @Override
    protected void onDetach(DetachEvent event) {
        if (polling != null) {
            polling.remove();
        }
    }

    String studioId() {
        return studioId;
    }
}
