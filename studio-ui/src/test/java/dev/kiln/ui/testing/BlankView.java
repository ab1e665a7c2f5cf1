package dev.kiln.ui.testing;

import com.vaadin.flow.component.html.Div;
import com.vaadin.flow.router.Route;

/** Somewhere to be between two navigations, so a view is created again from the fakes as the test left them. */
@Route(value = "test-blank", autoLayout = false)
public class BlankView extends Div {
}
