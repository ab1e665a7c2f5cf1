package dev.kiln.ui.component;

import com.vaadin.flow.component.UI;
import com.vaadin.flow.server.DefaultErrorHandler;
import com.vaadin.flow.server.ErrorEvent;
import dev.kiln.api.studio.StudioException;

/** Shows refusals (bad names, missing files) to the user where they act, instead of a stack trace. */
public class KilnErrorHandler extends DefaultErrorHandler {

    @Override
    public void error(ErrorEvent event) {
        Throwable cause = event.getThrowable();
        while (cause != null && !(cause instanceof StudioException)) {
            cause = cause.getCause();
        }
        if (cause != null && UI.getCurrent() != null) {
            Dialogs.error(cause.getMessage());
            return;
        }
        super.error(event);
        if (UI.getCurrent() != null) {
            Dialogs.error("Something went wrong on the server; it was logged. Your unsaved text is still in the editor.");
        }
    }
}
