package dev.kiln.ui.shell;

import com.vaadin.flow.component.dependency.StyleSheet;
import com.vaadin.flow.component.page.AppShellConfigurator;
import com.vaadin.flow.server.AppShellSettings;
import com.vaadin.flow.theme.lumo.Lumo;

/** Global page settings: the Lumo theme plus Kiln's own stylesheets. */
@StyleSheet(Lumo.STYLESHEET)
@StyleSheet("styles/kiln.css")
@StyleSheet("styles/kiln-tools.css")
public class KilnAppShell implements AppShellConfigurator {

    @Override
    public void configurePage(AppShellSettings settings) {
        settings.setPageTitle("Kiln");
        // /favicon.ico is there too, for browsers that ask for it whatever the page says.
        settings.addFavIcon("icon", "icons/kiln.svg", "any");
        settings.addFavIcon("icon", "icons/kiln-32.png", "32x32");
    }
}
