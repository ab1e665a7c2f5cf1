import { LitElement, css, html, PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import { basicSetup } from 'codemirror';
import { EditorState, Compartment, Extension } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import { StreamLanguage } from '@codemirror/language';
import { java } from '@codemirror/lang-java';
import { python } from '@codemirror/lang-python';
import { markdown } from '@codemirror/lang-markdown';
import { yaml } from '@codemirror/lang-yaml';
import { json } from '@codemirror/lang-json';
import { shell } from '@codemirror/legacy-modes/mode/shell';

/** Picks the syntax for a file name; unknown kinds get plain text. */
export function languageFor(fileName: string): Extension {
  const name = fileName.toLowerCase();
  const ext = name.includes('.') ? name.substring(name.lastIndexOf('.') + 1) : '';
  switch (ext) {
    case 'java': return java();
    case 'py': return python();
    case 'md': case 'markdown': return markdown();
    case 'yaml': case 'yml': return yaml();
    case 'json': return json();
    case 'sh': case 'bash': case 'zsh': return StreamLanguage.define(shell);
    default: return [];
  }
}

/**
 * <kiln-code-editor>: one CodeMirror 6 EditorView.
 *
 * The server sets `value` (the saved text) and `fileName` (for syntax). Typing does not send text to the server:
 * the element only fires `dirty-changed` when the edited text starts or stops differing from `value`, and
 * `save-requested` on Ctrl/Cmd+S. The server reads the text with `getText()` when it saves, so a large file costs
 * nothing per keystroke.
 */
@customElement('kiln-code-editor')
export class KilnCodeEditor extends LitElement {
  static styles = css`
    :host { display: block; position: relative; overflow: hidden; }
    .cm-editor { height: 100%; font-size: 14px; }
    .cm-editor.cm-focused { outline: none; }
    .cm-scroller { font-family: ui-monospace, 'JetBrains Mono', Menlo, Consolas, monospace; }
  `;

  @property({ type: String }) value = '';
  @property({ type: String, attribute: 'file-name' }) fileName = '';
  @property({ type: Boolean, reflect: true }) readonly = false;
  @property({ type: Boolean, reflect: true }) dirty = false;

  private view?: EditorView;
  private readonly language = new Compartment();
  private readonly readOnly = new Compartment();
  private readonly onBeforeUnload = (e: BeforeUnloadEvent) => {
    if (this.dirty) { e.preventDefault(); e.returnValue = ''; }
  };

  connectedCallback() {
    super.connectedCallback();
    window.addEventListener('beforeunload', this.onBeforeUnload);
  }

  disconnectedCallback() {
    window.removeEventListener('beforeunload', this.onBeforeUnload);
    super.disconnectedCallback();
  }

  /** The editor's current text (what Save commits). */
  getText(): string {
    return this.view ? this.view.state.doc.toString() : this.value;
  }

  /** Marks the current text as saved without replacing it (keeps cursor and undo history). */
  markSaved(savedText: string) {
    this.value = savedText;
    this.updateDirty();
  }

  focusEditor() {
    this.view?.focus();
  }

  protected firstUpdated() {
    this.view = new EditorView({
      parent: this.renderRoot as ShadowRoot,
      root: this.renderRoot as ShadowRoot,
      state: this.createState(this.value),
    });
  }

  protected updated(changed: PropertyValues<this>) {
    if (!this.view) return;
    if (changed.has('value') && this.view.state.doc.toString() !== this.value && !this.dirty) {
      // A new file (or a reload) replaces the document and its history.
      this.view.setState(this.createState(this.value));
    } else if (changed.has('value')) {
      this.updateDirty();
    }
    if (changed.has('fileName')) {
      this.view.dispatch({ effects: this.language.reconfigure(languageFor(this.fileName)) });
    }
    if (changed.has('readonly')) {
      this.view.dispatch({ effects: this.readOnly.reconfigure(this.readOnlyExtension()) });
    }
  }

  /** Replaces the document unconditionally (used when opening another file or discarding changes). */
  load(text: string, fileName: string, readonly: boolean) {
    this.value = text;
    this.fileName = fileName;
    this.readonly = readonly;
    this.view?.setState(this.createState(text));
    this.updateDirty();
  }

  private createState(text: string): EditorState {
    return EditorState.create({
      doc: text,
      extensions: [
        basicSetup,
        keymap.of([{ key: 'Mod-s', preventDefault: true, run: () => { this.requestSave(); return true; } }]),
        this.language.of(languageFor(this.fileName)),
        this.readOnly.of(this.readOnlyExtension()),
        EditorView.updateListener.of(update => { if (update.docChanged) this.updateDirty(); }),
      ],
    });
  }

  private readOnlyExtension(): Extension {
    return [EditorState.readOnly.of(this.readonly), EditorView.editable.of(!this.readonly)];
  }

  private requestSave() {
    if (!this.readonly) this.dispatchEvent(new CustomEvent('save-requested', { bubbles: true, composed: true }));
  }

  private updateDirty() {
    const nowDirty = !!this.view && this.view.state.doc.toString() !== this.value;
    if (nowDirty !== this.dirty) {
      this.dirty = nowDirty;
      this.dispatchEvent(new CustomEvent('dirty-changed', { detail: { dirty: nowDirty }, bubbles: true, composed: true }));
    }
  }

  render() {
    return html``;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'kiln-code-editor': KilnCodeEditor;
  }
}
