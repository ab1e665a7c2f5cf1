import { LitElement, css, html } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { EditorState, Extension } from '@codemirror/state';
import { EditorView, lineNumbers } from '@codemirror/view';
import { MergeView } from '@codemirror/merge';
import { languageFor } from './kiln-code-editor';

/**
 * <kiln-diff>: two versions of a file side by side (CodeMirror's MergeView), the older on the left: changed lines
 * marked, deleted and inserted text highlighted, unchanged stretches collapsed. Read-only. `show(a, b, fileName)`.
 */
@customElement('kiln-diff')
export class KilnDiff extends LitElement {
  static styles = css`
    :host { display: flex; flex-direction: column; min-height: 0; overflow: hidden; }
    .labels { display: flex; font: 12px/20px sans-serif; color: #555; border-bottom: 1px solid #e3e3e3; }
    .labels span { flex: 1; padding: 2px 8px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
    .host { flex: 1; min-height: 0; overflow: auto; }
    .cm-mergeView { height: 100%; }
    .cm-editor { font-size: 13px; }
    .cm-scroller { font-family: ui-monospace, 'JetBrains Mono', Menlo, Consolas, monospace; }
  `;

  @property({ type: String, attribute: 'left-label' }) leftLabel = '';
  @property({ type: String, attribute: 'right-label' }) rightLabel = '';

  private view?: MergeView;

  render() {
    return html`<div class="labels"><span class="left">${this.leftLabel}</span><span class="right">${this.rightLabel}</span></div>
      <div class="host"></div>`;
  }

  /** Shows {@code a} (left, older) against {@code b} (right). */
  show(a: string, b: string, fileName: string) {
    this.view?.destroy();
    const common = (): Extension[] => [
      lineNumbers(), EditorState.readOnly.of(true), EditorView.editable.of(false), languageFor(fileName),
      EditorView.lineWrapping,
    ];
    this.view = new MergeView({
      a: { doc: a, extensions: common() },
      b: { doc: b, extensions: common() },
      parent: this.renderRoot.querySelector('.host') as HTMLElement,
      root: this.renderRoot as ShadowRoot,
      collapseUnchanged: { margin: 3, minSize: 6 },
      gutter: true,
    });
    const chunks = this.view.chunks;
    this.dataset.chunks = String(chunks.length);
  }

  disconnectedCallback() {
    this.view?.destroy();
    this.view = undefined;
    super.disconnectedCallback();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'kiln-diff': KilnDiff;
  }
}
