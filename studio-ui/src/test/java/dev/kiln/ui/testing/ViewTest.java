package dev.kiln.ui.testing;

import com.vaadin.browserless.BrowserlessTest;
import com.vaadin.browserless.ViewPackages;
import com.vaadin.flow.component.Component;
import com.vaadin.flow.component.ComponentUtil;
import com.vaadin.flow.component.PollEvent;
import com.vaadin.flow.component.UI;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.dialog.Dialog;
import com.vaadin.flow.component.notification.Notification;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A browserless view test (Vaadin's BrowserlessTest): real views, routes and listeners in the test JVM, with the
 * ports faked by {@link #kiln}. Helpers read what a user sees: notifications, the open dialog, a button by its id.
 */
@ViewPackages(packages = "dev.kiln.ui")
public abstract class ViewTest extends BrowserlessTest {

    /** This test's fakes; set before the Vaadin environment starts, so routes are created with them. */
    protected final Fakes kiln = new Fakes();

    @Override
    protected Set<Class<?>> lookupServices() {
        var services = new HashSet<>(super.lookupServices());
        services.add(FakeInstantiatorFactory.class);
        return services;
    }

    /**
     * Navigates to {@code view}, created now from the fakes as the test set them up. (The test environment opens the
     * root route before the test runs, so a plain navigate to the view already shown would keep that instance.)
     */
    protected <T extends Component> T open(Class<T> view) {
        navigate(BlankView.class);
        return navigate(view);
    }

    /** The texts of the notifications shown, oldest first. */
    protected List<String> notifications() {
        return $(Notification.class).all().stream().map(n -> test(n).getText()).toList();
    }

    /** The dialog open now (the last one opened, when one opens another). */
    protected Dialog dialog() {
        return $(Dialog.class).all().stream().filter(Dialog::isOpened).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError("No dialog is open"));
    }

    protected boolean anyDialogOpen() {
        return $(Dialog.class).all().stream().anyMatch(Dialog::isOpened);
    }

    protected void click(String buttonId) {
        test($(Button.class).id(buttonId)).click();
    }

    /** A click in the browser on an element that listens for "click" itself (not a Button: a tab, a link span). */
    protected void clickElement(Component component) {
        var element = component.getElement();
        element.getNode().getFeature(com.vaadin.flow.internal.nodefeature.ElementListenerMap.class)
                .fireEvent(new com.vaadin.flow.dom.DomEvent(element, "click",
                        com.vaadin.flow.internal.JacksonUtils.createObjectNode()));
    }

    /**
     * The JavaScript the server queued for the browser since the last call, each as its expression and arguments
     * ("return $0.append($1) [<kiln-log ...>, line 1\nline 2\n]"): what a web component (the log, the charts) is
     * told to show.
     */
    protected List<String> javaScriptSent() {
        // Element calls are queued before the response to the browser: run that step first.
        UI.getCurrent().getInternals().getStateTree().runExecutionsBeforeClientResponse();
        return UI.getCurrent().getInternals().dumpPendingJavaScriptInvocations().stream()
                .map(i -> i.getInvocation().getExpression() + " " + i.getInvocation().getParameters())
                .toList();
    }

    /** What the browser's poll (UI.setPollInterval) does every second: the views refresh from their ports. */
    protected void poll() {
        var ui = UI.getCurrent();
        ComponentUtil.fireEvent(ui, new PollEvent(ui, true));
    }
}
