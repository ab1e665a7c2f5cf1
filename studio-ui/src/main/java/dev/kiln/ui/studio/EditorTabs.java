package dev.kiln.ui.studio;

import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.component.html.Span;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The editor area's tabs: one per open file, each showing a component for its path (the code editor for text files,
 * or whatever else opens a path, a notebook say), with the active one below the strip. Tabs only show and ask: the
 * listener decides what selecting or closing means (the studio view asks first about unsent changes).
 */
public class EditorTabs extends Div {

    /** What happens when a person clicks a tab or its close mark. */
    public interface Listener {
        void selected(String path);

        void closed(String path);
    }

    private record Entry(String path, Component content, Div tab) {}

    private final Listener listener;
    private final Div strip = new Div();
    private final Div content = new Div();
    private final Map<String, Entry> tabs = new LinkedHashMap<>();
    private final Component empty;
    private Component showing;
    private String active;

    /** {@code empty}: what the area shows while no tab is open. */
    public EditorTabs(Component empty, Listener listener) {
        this.empty = empty;
        this.listener = listener;
        addClassName("kiln-editor-tabs");
        setId("editor-tabs");
        strip.addClassName("kiln-tab-strip");
        strip.setId("tab-strip");
        strip.getElement().setAttribute("role", "tablist");
        content.addClassName("kiln-tab-content");
        add(strip, content);
        show(empty);
    }

    /** Opens a tab for {@code path} showing {@code component} (or updates it), and makes it the active one. */
    public void open(String path, Component component) {
        var entry = tabs.get(path);
        if (entry == null || entry.content() != component) {
            Div tab = entry == null ? tab(path) : entry.tab();
            tabs.put(path, new Entry(path, component, tab));
        }
        activate(path);
    }

    /** Removes the tab; the area then shows the tab before it, or the empty view. Returns the path now active. */
    public Optional<String> remove(String path) {
        var entry = tabs.remove(path);
        if (entry == null) {
            return active();
        }
        strip.remove(entry.tab());
        if (path.equals(active)) {
            active = null;
            var rest = new ArrayList<>(tabs.keySet());
            if (rest.isEmpty()) {
                show(empty);
            } else {
                activate(rest.getLast());
            }
        }
        return active();
    }

    /** A file was renamed: its tab follows (and those of files inside a renamed folder). */
    public void rename(String from, String to) {
        for (var path : List.copyOf(tabs.keySet())) {
            if (path.equals(from) || path.startsWith(from + "/")) {
                var entry = tabs.remove(path);
                String renamed = to + path.substring(from.length());
                strip.remove(entry.tab());
                var tab = tab(renamed);
                tabs.put(renamed, new Entry(renamed, entry.content(), tab));
                if (path.equals(active)) {
                    active = renamed;
                }
            }
        }
        markActive();
    }

    /** Marks a tab as having changes the server has not confirmed (the dot). */
    public void setDirty(String path, boolean dirty) {
        var entry = tabs.get(path);
        if (entry != null) {
            entry.tab().getElement().setAttribute("data-dirty", String.valueOf(dirty));
        }
    }

    public Optional<String> active() {
        return Optional.ofNullable(active);
    }

    public List<String> paths() {
        return List.copyOf(tabs.keySet());
    }

    private void activate(String path) {
        active = path;
        show(tabs.get(path).content());
        markActive();
    }

    private void markActive() {
        tabs.values().forEach(e -> {
            boolean isActive = e.path().equals(active);
            e.tab().getElement().setAttribute("data-active", String.valueOf(isActive));
            e.tab().getElement().setAttribute("aria-selected", String.valueOf(isActive));
        });
    }

    /** Shows a component below the strip; the same component stays attached (a live editor keeps its connection). */
    private void show(Component component) {
        if (showing == component) {
            return;
        }
        content.removeAll();
        content.add(component);
        showing = component;
    }

    private Div tab(String path) {
        var name = new Span(path.substring(path.lastIndexOf('/') + 1));
        name.addClassName("kiln-tab-name");
        var close = new Span("×");
        close.addClassName("kiln-tab-close");
        // A mark for the mouse, not a named button: a button called "Close …" in every tab would be one more
        // "Close" next to each dialog's own.
        close.getElement().setAttribute("aria-hidden", "true");
        close.getElement().setAttribute("title", "Close this tab");
        close.getElement().addEventListener("click", e -> listener.closed(path))
                .addEventData("event.stopPropagation()");
        var tab = new Div(name, close);
        tab.addClassName("kiln-tab");
        tab.getElement().setAttribute("role", "tab");
        tab.getElement().setAttribute("data-tab", path);
        tab.getElement().setAttribute("title", path);
        tab.getElement().addEventListener("click", e -> listener.selected(path));
        strip.add(tab);
        return tab;
    }
}
