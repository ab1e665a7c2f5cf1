package dev.kiln.ui.component;

import com.vaadin.flow.component.AttachEvent;
import com.vaadin.flow.component.button.Button;
import com.vaadin.flow.component.button.ButtonVariant;
import com.vaadin.flow.component.icon.VaadinIcon;

/**
 * Copies a text to the clipboard, in the browser itself: the click handler runs there, so the browser still counts
 * it as the person's own gesture (a round trip to the server first would lose that), and says "Copied" for a moment.
 */
public class CopyButton extends Button {
    private String copied = "";

    public CopyButton(String label) {
        super(label, VaadinIcon.COPY_O.create());
        addThemeVariants(ButtonVariant.LUMO_SMALL);
        setTooltipText("Copy to the clipboard");
    }

    /** What a click copies. */
    public void setCopyText(String text) {
        copied = text == null ? "" : text;
        getElement().setAttribute("data-copy", copied);
    }

    public String copyText() {
        return copied;
    }

    @Override
    protected void onAttach(AttachEvent event) {
        getElement().executeJs("""
                if (this.kilnCopy) return;
                this.kilnCopy = true;
                this.addEventListener('click', () => {
                  const text = this.dataset.copy || '';
                  const done = () => {
                    this.setAttribute('data-copied', 'true');
                    const label = this.querySelector('span:not([slot])') || this;
                    clearTimeout(this.kilnCopyTimer);
                    this.kilnCopyTimer = setTimeout(() => this.removeAttribute('data-copied'), 2000);
                  };
                  if (navigator.clipboard && window.isSecureContext) {
                    navigator.clipboard.writeText(text).then(done, () => this.setAttribute('data-copied', 'failed'));
                  } else {
                    const area = document.createElement('textarea');
                    area.value = text;
                    document.body.appendChild(area);
                    area.select();
                    try { document.execCommand('copy'); done(); } catch (e) { this.setAttribute('data-copied', 'failed'); }
                    area.remove();
                  }
                });""");
    }
}
