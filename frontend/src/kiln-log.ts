import { LitElement, css, html } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { EditorState, Compartment, Extension, StateEffect, StateField, RangeSetBuilder } from '@codemirror/state';
import { EditorView, Decoration, DecorationSet, lineNumbers, drawSelection, keymap, MatchDecorator, ViewPlugin, ViewUpdate } from '@codemirror/view';
import { SearchCursor } from '@codemirror/search';

/** The match the user stepped to, drawn stronger than the others. */
const setCurrent = StateEffect.define<{ from: number; to: number } | null>();
const currentMatch = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(value, tr) {
    value = value.map(tr.changes);
    for (const e of tr.effects) {
      if (e.is(setCurrent)) {
        const b = new RangeSetBuilder<Decoration>();
        if (e.value) b.add(e.value.from, e.value.to, Decoration.mark({ class: 'cm-log-current' }));
        value = b.finish();
      }
    }
    return value;
  },
  provide: (f) => EditorView.decorations.from(f),
});

function escapeRegExp(text: string) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Every match of the query in the visible part of the log (MatchDecorator works on the viewport only: cheap). */
function highlighter(query: string): Extension {
  if (!query) return [];
  const decorator = new MatchDecorator({
    regexp: new RegExp(escapeRegExp(query), 'gi'),
    decoration: Decoration.mark({ class: 'cm-log-match' }),
  });
  return ViewPlugin.fromClass(class {
    decorations: DecorationSet;
    constructor(view: EditorView) { this.decorations = decorator.createDeco(view); }
    update(update: ViewUpdate) { this.decorations = decorator.updateDeco(update, this.decorations); }
  }, { decorations: (v) => v.decorations });
}

/**
 * <kiln-log>: a job's log, all of it (up to `max-lines`, default 200,000; older lines give way and the view says so),
 * in a read-only CodeMirror view: only the visible lines are in the DOM, so a long log scrolls smoothly. Long lines
 * wrap (a toggle turns it off). The search box highlights every match, counts them and steps through them (Enter,
 * Shift+Enter); Ctrl+F in the log goes to it. New lines follow the end while the view is scrolled to the end.
 * Slot "actions": buttons beside the search box (the download link).
 */
@customElement('kiln-log')
export class KilnLog extends LitElement {
  static styles = css`
    :host { display: flex; flex-direction: column; min-height: 0; min-width: 0; background: #1e1e1e; }
    .bar { display: flex; align-items: center; gap: 6px; padding: 3px 6px; background: #2a2a2a; color: #ccc;
      font: 12px/22px sans-serif; flex-wrap: wrap; }
    input[type=search] { background: #1e1e1e; color: #eee; border: 1px solid #555; border-radius: 3px;
      padding: 1px 6px; font: 12px/18px sans-serif; width: 14em; }
    button { background: #3a3a3a; color: #eee; border: 1px solid #555; border-radius: 3px; font: 12px/16px sans-serif;
      padding: 1px 6px; cursor: pointer; }
    button:disabled { opacity: .4; cursor: default; }
    label { display: flex; align-items: center; gap: 3px; cursor: pointer; }
    .count { min-width: 6em; }
    .spacer { flex: 1; }
    .notice { color: #f9a825; }
    .host { flex: 1; min-height: 0; }
    .cm-editor { height: 100%; background: #1e1e1e; color: #ddd; }
    .cm-editor.cm-focused { outline: none; }
    .cm-scroller { font: 12px/1.45 ui-monospace, 'JetBrains Mono', Menlo, Consolas, monospace; }
    .cm-gutters { background: #252525; color: #777; border-right: 1px solid #333; }
    .cm-log-match { background: rgba(255, 213, 79, .35); }
    .cm-log-current { background: #ffb300; color: #000; }
    .cm-content { caret-color: transparent; }
    .cm-selectionBackground, .cm-focused .cm-selectionBackground { background: #264f78 !important; }
  `;

  @property({ type: Number, attribute: 'max-lines' }) maxLines = 200_000;
  @state() private query = '';
  @state() private matchCount = 0; // not `matches`: that would hide Element.matches()
  @state() private current = 0;
  @state() private dropped = 0;
  @state() private wrap = true;

  private view?: EditorView;
  private readonly wrapping = new Compartment();
  private readonly highlighting = new Compartment();
  private searchTimer?: number;

  render() {
    const count = !this.query ? '' : this.matchCount == 0 ? 'no matches'
      : this.current ? `${this.current} of ${this.matchCount.toLocaleString()}` : `${this.matchCount.toLocaleString()} matches`;
    return html`
      <div class="bar">
        <input type="search" placeholder="Search the log" aria-label="Search the log" .value=${this.query}
          @input=${(e: Event) => this.search((e.target as HTMLInputElement).value)}
          @keydown=${(e: KeyboardEvent) => this.searchKey(e)}>
        <span class="count" part="count">${count}</span>
        <button title="Previous match (Shift+Enter)" ?disabled=${!this.matchCount} @click=${() => this.step(-1)}>↑</button>
        <button title="Next match (Enter)" ?disabled=${!this.matchCount} @click=${() => this.step(1)}>↓</button>
        <label title="Wrap long lines"><input type="checkbox" class="wrap" .checked=${this.wrap}
          @change=${(e: Event) => this.setWrap((e.target as HTMLInputElement).checked)}>Wrap</label>
        <span class="notice" ?hidden=${!this.dropped}>${this.dropped.toLocaleString()} earlier lines not shown: download the complete log</span>
        <span class="spacer"></span>
        <slot name="actions"></slot>
      </div>
      <div class="host"></div>`;
  }

  protected firstUpdated() {
    this.view = new EditorView({
      parent: this.renderRoot.querySelector('.host') as HTMLElement,
      root: this.renderRoot as ShadowRoot,
      state: EditorState.create({
        doc: '',
        extensions: [
          lineNumbers(),
          drawSelection(),
          EditorState.readOnly.of(true),
          this.wrapping.of(EditorView.lineWrapping),
          this.highlighting.of([]),
          currentMatch,
          keymap.of([{ key: 'Mod-f', preventDefault: true, run: () => { this.focusSearch(); return true; } }]),
          EditorView.theme({}, { dark: true }),
        ],
      }),
    });
    this.updateLineCount();
  }

  /** Appends text (whole lines, each ending in a newline). */
  append(text: string) {
    const view = this.view;
    if (!view || !text) return;
    const scroller = view.scrollDOM;
    const atEnd = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 8;
    let doc = view.state.doc;
    // The document keeps no trailing empty line: a newline separates lines.
    const insert = (doc.length == 0 ? '' : '\n') + text.replace(/\n$/, '');
    view.dispatch({ changes: { from: doc.length, insert } });
    doc = view.state.doc;
    if (doc.lines > this.maxLines) {
      const cut = doc.lines - this.maxLines;
      view.dispatch({ changes: { from: 0, to: doc.line(cut + 1).from } });
      this.dropped += cut;
    }
    if (atEnd) view.dispatch({ effects: EditorView.scrollIntoView(view.state.doc.length, { y: 'end' }) });
    this.updateLineCount();
    if (this.query) this.scheduleCount();
  }

  /** Empties the log (another job, or another rank). */
  clear() {
    this.view?.dispatch({ changes: { from: 0, to: this.view.state.doc.length }, effects: setCurrent.of(null) });
    this.dropped = 0;
    this.current = 0;
    this.matchCount = 0;
    this.updateLineCount();
  }

  /** The whole text shown (for tests and copying). */
  getText(): string {
    return this.view ? this.view.state.doc.toString() : '';
  }

  focusSearch() {
    (this.renderRoot.querySelector('input[type=search]') as HTMLInputElement | null)?.focus();
  }

  /** Searches, as if typed in the box. */
  search(query: string) {
    this.query = query;
    this.current = 0;
    this.view?.dispatch({ effects: [this.highlighting.reconfigure(highlighter(query)), setCurrent.of(null)] });
    this.scheduleCount();
  }

  private setWrap(wrap: boolean) {
    this.wrap = wrap;
    this.view?.dispatch({ effects: this.wrapping.reconfigure(wrap ? EditorView.lineWrapping : []) });
  }

  private searchKey(e: KeyboardEvent) {
    if (e.key == 'Enter') {
      e.preventDefault();
      this.step(e.shiftKey ? -1 : 1);
    } else if (e.key == 'Escape') {
      this.search('');
    }
  }

  private scheduleCount() {
    window.clearTimeout(this.searchTimer);
    this.searchTimer = window.setTimeout(() => this.count(), 120);
  }

  private cursor(from = 0) {
    const doc = this.view!.state.doc;
    return new SearchCursor(doc, this.query.toLowerCase(), from, doc.length, (s) => s.toLowerCase());
  }

  private count() {
    if (!this.view || !this.query) { this.matchCount = 0; this.dataset.matches = '0'; return; }
    let n = 0;
    for (const c = this.cursor(); !c.next().done;) n++;
    this.matchCount = n;
    this.dataset.matches = String(n);
  }

  /** Moves to the next (or previous) match after the current one, wrapping around the ends. */
  private step(direction: number) {
    const view = this.view;
    if (!view || !this.query) return;
    this.count();
    if (!this.matchCount) return;
    const ranges: { from: number; to: number }[] = [];
    for (const c = this.cursor(); !c.next().done;) ranges.push({ from: c.value.from, to: c.value.to });
    this.current = this.current == 0 ? (direction > 0 ? 1 : ranges.length)
      : ((this.current - 1 + direction + ranges.length) % ranges.length) + 1;
    const target = ranges[this.current - 1];
    view.dispatch({ effects: [setCurrent.of(target), EditorView.scrollIntoView(target.from, { y: 'center' })] });
    this.dataset.current = String(this.current);
  }

  private updateLineCount() {
    const doc = this.view?.state.doc;
    this.dataset.lines = String(!doc || doc.length == 0 ? 0 : doc.lines);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'kiln-log': KilnLog;
  }
}
