package dev.kiln.training.notebook;

import java.util.Map;

/** Something a notebook shows richly: its mime bundle ({@code text/html}, {@code image/png}, ...; always text/plain). */
public interface Displayable {
    Map<String, Object> mimeBundle();
}
