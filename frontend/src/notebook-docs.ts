import { Extension, Prec, StateEffect, StateField } from '@codemirror/state';
import { EditorView, Tooltip, keymap, showTooltip } from '@codemirror/view';

/** What the kernel said about the code at a position of a cell (notebook PROTOCOL.md, documentation). */
export interface Documentation {
  pos: number;
  found: boolean;
  text: string;
}

const setDocumentation = StateEffect.define<Documentation | null>();

function tooltipOf(docs: Documentation): Tooltip {
  return {
    pos: docs.pos,
    above: false,
    create: () => {
      const dom = document.createElement('div');
      dom.className = docs.found ? 'nb-docs' : 'nb-docs nb-docs-none';
      dom.textContent = docs.text;
      return { dom };
    },
  };
}

// Shown until the cell changes, its cursor moves, or Escape: as JupyterLab's Shift+Tab tooltip.
const documentationField = StateField.define<Tooltip | null>({
  create: () => null,
  update(tooltip, tr) {
    for (const effect of tr.effects) {
      if (effect.is(setDocumentation)) return effect.value ? tooltipOf(effect.value) : null;
    }
    return tr.docChanged || tr.selection ? null : tooltip;
  },
  provide: field => showTooltip.from(field),
});

const theme = EditorView.baseTheme({
  '.nb-docs': {
    maxWidth: '680px', maxHeight: '320px', overflow: 'auto', padding: '4px 8px', whiteSpace: 'pre-wrap',
    font: '12px/1.4 ui-monospace, Menlo, Consolas, monospace', color: '#222', background: '#fffdf3',
  },
  '.nb-docs-none': { color: '#666', fontStyle: 'italic' },
});

/**
 * Shift+Tab with no selection asks for the documentation of what is at the cursor ({@code ask}; the answer comes
 * back through {@link showDocumentation}); with a selection it still unindents. Escape closes what is shown.
 */
export function documentation(ask: (view: EditorView, pos: number) => void): Extension {
  return [
    documentationField,
    theme,
    Prec.high(keymap.of([
      {
        key: 'Shift-Tab',
        run: view => {
          const selection = view.state.selection.main;
          if (!selection.empty) return false;
          ask(view, selection.head);
          return true;
        },
      },
      {
        key: 'Escape',
        run: view => {
          if (!view.state.field(documentationField, false)) return false;
          view.dispatch({ effects: setDocumentation.of(null) });
          return true;
        },
      },
    ])),
  ];
}

export function showDocumentation(view: EditorView, docs: Documentation) {
  view.dispatch({ effects: setDocumentation.of(docs) });
}
