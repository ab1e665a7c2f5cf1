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
import { setDiagnostics, Diagnostic } from '@codemirror/lint';
import { CollabSession, CollabStatus, Notice, Participant } from './collab-session';

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
 * Two modes. Live (`connect(url)`): the text comes from Kiln's collaboration WebSocket and every keystroke is sent
 * there (see collab-session.ts); `dirty` means "changes not yet confirmed by the server", and a status bar shows the
 * connection and who else is here. Plain (`load(text)`, for binary or old versions): read-only or locally edited
 * text that the server fetches with `getText()`.
 * Events: `dirty-changed`, `save-requested` (Ctrl/Cmd+S, once everything typed is confirmed), `collab-status`.
 */
@customElement('kiln-code-editor')
export class KilnCodeEditor extends LitElement {
  static styles = css`
    :host { display: flex; flex-direction: column; position: relative; overflow: hidden; }
    .host { flex: 1; min-height: 0; }
    .bar { display: flex; align-items: center; gap: 8px; padding: 2px 8px; font: 12px/20px sans-serif;
      color: #555; border-bottom: 1px solid #e3e3e3; background: #fafafa; }
    .bar[hidden] { display: none; }
    .dot { width: 8px; height: 8px; border-radius: 50%; background: #aaa; flex: none; }
    .dot.connected { background: #2e7d32; }
    .dot.reconnecting, .dot.connecting { background: #f9a825; }
    .dot.offline, .dot.revoked, .dot.closed, .dot.signed-out { background: #c62828; }
    .notice { display: flex; flex-wrap: wrap; align-items: center; gap: 8px; padding: 6px 8px; font: 13px/18px sans-serif;
      color: #5d4037; background: #fff3e0; border-bottom: 1px solid #ffcc80; }
    .notice[hidden] { display: none; }
    .notice a, .notice button { font: inherit; color: #0d47a1; background: none; border: 1px solid #90caf9;
      border-radius: 4px; padding: 1px 8px; cursor: pointer; text-decoration: none; }
    .people { margin-left: auto; display: flex; gap: 4px; align-items: center; }
    .person { color: white; border-radius: 9px; padding: 0 7px; font-size: 11px; line-height: 18px; }
    .cm-editor { height: 100%; font-size: 14px; }
    .cm-editor.cm-focused { outline: none; }
    .cm-scroller { font-family: ui-monospace, 'JetBrains Mono', Menlo, Consolas, monospace; }
  `;

  @property({ type: String }) value = '';
  @property({ type: String, attribute: 'file-name' }) fileName = '';
  @property({ type: Boolean, reflect: true }) readonly = false;
  @property({ type: Boolean, reflect: true }) dirty = false;

  @property({ type: String, attribute: false }) status: CollabStatus | '' = '';
  @property({ type: Number, attribute: false }) unsent = 0;
  @property({ type: Array, attribute: false }) people: Participant[] = [];
  @property({ type: String, attribute: false }) statusMessage = '';
  /** A refused change or an ended session: what happened and what the person can do. */
  @property({ type: Object, attribute: false }) notice?: Notice;

  private view?: EditorView;
  private session?: CollabSession;
  private pendingLoad?: { text: string; extensions: Extension };
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
    this.session?.close();
    this.session = undefined;
    super.disconnectedCallback();
  }

  /** Edits {@code fileName} live through the collaboration WebSocket at {@code url} (a path on this server). */
  connect(url: string, fileName: string) {
    this.session?.close();
    this.notice = undefined;
    this.fileName = fileName;
    this.value = '';
    this.status = 'connecting';
    this.people = [];
    this.unsent = 0;
    this.readonly = true;
    this.view?.setState(this.createState('', []));
    const editor = this;
    this.session = new CollabSession(url, {
      start(text, extensions, readOnly) {
        editor.readonly = readOnly;
        if (editor.view) editor.view.setState(editor.createState(text, extensions));
        else editor.pendingLoad = { text, extensions };
        editor.applyGoTo();
      },
      view: () => editor.view,
      notice(notice) {
        editor.notice = notice;
      },
      statusChanged(status, unsent, people, message) {
        editor.status = status;
        editor.unsent = unsent;
        editor.people = people;
        editor.statusMessage = message;
        if (status == 'revoked' || status == 'closed') {
          editor.readonly = true;
          editor.view?.dispatch({ effects: editor.readOnly.reconfigure(editor.readOnlyExtension()) });
        }
        editor.setDirty(unsent > 0);
        editor.dispatchEvent(new CustomEvent('collab-status', {
          detail: { status, unsent, people: people.map(p => p.name), message }, bubbles: true, composed: true,
        }));
      },
    });
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

  /**
   * Moves the cursor to a line (1-based) and column and, with a message, marks it as a compile error there (shown
   * as a lint diagnostic until the text changes). Applied once the live document has arrived.
   */
  goTo(line: number, column: number, message: string) {
    this.pendingGoTo = { line, column, message };
    if (this.status != 'connecting') this.applyGoTo();
  }

  private pendingGoTo?: { line: number; column: number; message: string };

  private applyGoTo() {
    const target = this.pendingGoTo;
    const view = this.view;
    if (!target || !view) return;
    this.pendingGoTo = undefined;
    const doc = view.state.doc;
    const line = doc.line(Math.min(Math.max(target.line, 1), doc.lines));
    const pos = Math.min(line.from + Math.max(target.column - 1, 0), line.to);
    view.dispatch({ selection: { anchor: pos }, scrollIntoView: true });
    if (target.message) {
      const diagnostic: Diagnostic = { from: pos, to: Math.max(line.to, pos), severity: 'error', message: target.message };
      view.dispatch(setDiagnostics(view.state, [diagnostic]));
    }
    view.focus();
  }

  protected firstUpdated() {
    const pending = this.pendingLoad;
    this.pendingLoad = undefined;
    this.view = new EditorView({
      parent: (this.renderRoot as ShadowRoot).querySelector('.host')!,
      root: this.renderRoot as ShadowRoot,
      state: pending ? this.createState(pending.text, pending.extensions) : this.createState(this.value, []),
    });
  }

  protected updated(changed: PropertyValues<this>) {
    if (!this.view) return;
    if (this.session) {
      // Live mode: the text belongs to the collaboration session, not to `value`.
    } else if (changed.has('value') && this.view.state.doc.toString() !== this.value && !this.dirty) {
      // A new file (or a reload) replaces the document and its history.
      this.view.setState(this.createState(this.value, []));
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
    this.session?.close();
    this.session = undefined;
    this.status = '';
    this.value = text;
    this.fileName = fileName;
    this.readonly = readonly;
    this.view?.setState(this.createState(text, []));
    this.updateDirty();
  }

  private createState(text: string, extra: Extension): EditorState {
    return EditorState.create({
      doc: text,
      extensions: [
        basicSetup,
        keymap.of([{ key: 'Mod-s', preventDefault: true, run: () => { this.requestSave(); return true; } }]),
        this.language.of(languageFor(this.fileName)),
        this.readOnly.of(this.readOnlyExtension()),
        extra,
        EditorView.updateListener.of(update => {
          if (this.session) this.session.localUpdate(update.docChanged, update.selectionSet);
          else if (update.docChanged) this.updateDirty();
        }),
      ],
    });
  }

  private readOnlyExtension(): Extension {
    return [EditorState.readOnly.of(this.readonly), EditorView.editable.of(!this.readonly)];
  }

  private async requestSave() {
    if (this.readonly) return;
    // Live: commit only once the server has everything typed so far.
    if (this.session) await this.session.settled(5000);
    this.dispatchEvent(new CustomEvent('save-requested', { bubbles: true, composed: true }));
  }

  private updateDirty() {
    this.setDirty(!!this.view && this.view.state.doc.toString() !== this.value);
  }

  private setDirty(nowDirty: boolean) {
    if (nowDirty !== this.dirty) {
      this.dirty = nowDirty;
      this.dispatchEvent(new CustomEvent('dirty-changed', { detail: { dirty: nowDirty }, bubbles: true, composed: true }));
    }
  }

  private statusText(): string {
    const unsent = this.unsent == 1 ? '1 unsent change' : `${this.unsent} unsent changes`;
    switch (this.status) {
      case 'connecting': return 'Connecting…';
      case 'connected': return this.unsent ? `Connected · sending ${unsent}` : `Connected${this.statusMessage ? ' · ' + this.statusMessage : ''}`;
      case 'reconnecting': return `Reconnecting…${this.unsent ? ' · ' + unsent + ' kept here' : ''}`;
      case 'offline': return `Offline · ${unsent} kept here until the connection is back`;
      case 'signed-out': return `Signed out${this.unsent ? ' · ' + unsent + ' kept here' : ''}`;
      default: return this.statusMessage;
    }
  }

  render() {
    const here = this.people.length == 1 ? '1 person here' : `${this.people.length} people here`;
    return html`
      <div class="bar" ?hidden=${!this.status} part="status">
        <span class="dot ${this.status}"></span>
        <span class="status-text">${this.statusText()}</span>
        <span class="people" title=${this.people.map(p => p.name).join(', ')}>
          <span class="count">${here}</span>
          ${this.people.map(p => html`<span class="person" style="background:${p.colour}">${p.name}</span>`)}
        </span>
      </div>
      <div class="notice" role="alert" ?hidden=${!this.notice} part="notice">
        <span class="notice-text">${this.notice?.text}</span>
        ${(this.notice?.actions ?? []).map(a => a.href
          ? html`<a href=${a.href} download=${a.download ?? ''}>${a.label}</a>`
          : html`<button type="button" @click=${() => a.run?.()}>${a.label}</button>`)}
      </div>
      <div class="host"></div>`;
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'kiln-code-editor': KilnCodeEditor;
  }
}
