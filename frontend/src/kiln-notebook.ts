import { LitElement, html, nothing, PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { Compartment, EditorState, Extension, RangeSetBuilder, StateEffect, StateField } from '@codemirror/state';
import {
  Decoration, DecorationSet, EditorView, drawSelection, highlightActiveLine, highlightSpecialChars, keymap,
} from '@codemirror/view';
import { bracketMatching, defaultHighlightStyle, indentOnInput, syntaxHighlighting } from '@codemirror/language';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { autocompletion, completionKeymap, CompletionContext, CompletionResult } from '@codemirror/autocomplete';
import { collab, getSyncedVersion } from '@codemirror/collab';
import { java } from '@codemirror/lang-java';
import { python } from '@codemirror/lang-python';
import { markdown } from '@codemirror/lang-markdown';
import { CellState, ConnectionStatus, KernelInfo, NotebookSession, Presence } from './notebook-session';
import { CellType } from './notebook-structure';
import { markdownHtml, renderOutput, updateOutput } from './notebook-outputs';
import { documentation, showDocumentation } from './notebook-docs';
import { CaretWidget } from './collab-session';

const STYLE = `
kiln-notebook { display: flex; flex-direction: column; flex: 1; min-height: 0; font: 14px/1.45 sans-serif; }
kiln-notebook[hidden] { display: none; }
kiln-notebook .nb-toolbar { display: flex; flex-wrap: wrap; align-items: center; gap: 6px; padding: 4px 8px;
  border-bottom: 1px solid #e3e3e3; background: #fafafa; }
kiln-notebook .nb-toolbar button, kiln-notebook .nb-cell-bar button { font: 12px sans-serif; padding: 2px 8px;
  border: 1px solid #ccc; border-radius: 4px; background: white; cursor: pointer; }
kiln-notebook .nb-toolbar button:disabled { opacity: .5; cursor: default; }
kiln-notebook .nb-kernel { display: flex; align-items: center; gap: 6px; margin-left: auto; font-size: 12px; color: #555; }
kiln-notebook .nb-kernel-state { border-radius: 9px; padding: 0 8px; line-height: 18px; color: white; background: #888; }
kiln-notebook .nb-kernel-state[data-state=idle] { background: #2e7d32; }
kiln-notebook .nb-kernel-state[data-state=busy], kiln-notebook .nb-kernel-state[data-state=starting],
kiln-notebook .nb-kernel-state[data-state=restarting] { background: #f9a825; color: #222; }
kiln-notebook .nb-kernel-state[data-state=dead] { background: #c62828; }
kiln-notebook .nb-kernel-state[data-state=reconnecting] { background: #ef6c00; }
kiln-notebook .nb-detail { padding: 3px 10px; font-size: 12px; color: #5d4037; background: #fff8e1; border-bottom: 1px solid #ffe082; }
kiln-notebook .nb-rebuild { display: flex; gap: 8px; align-items: center; background: #e3f2fd; border-color: #90caf9; }
kiln-notebook .nb-detail[data-state=dead] { color: #b71c1c; background: #ffebee; border-color: #ef9a9a; }
kiln-notebook .nb-status { display: flex; gap: 8px; align-items: center; padding: 2px 8px; font-size: 12px; color: #555; }
kiln-notebook .nb-person { color: white; border-radius: 9px; padding: 0 7px; font-size: 11px; line-height: 18px; }
kiln-notebook .nb-scroll { flex: 1; overflow: auto; padding: 8px 12px 80px; min-height: 0; }
kiln-notebook .nb-cell { display: flex; gap: 6px; margin: 6px 0; border: 1px solid transparent; border-left: 3px solid transparent;
  border-radius: 4px; padding: 2px 4px; }
kiln-notebook .nb-cell.nb-selected { border-color: #e0e0e0; border-left-color: #1565c0; background: #fcfdff; }
kiln-notebook .nb-gutter { width: 58px; flex: none; display: flex; flex-direction: column; align-items: flex-end; gap: 2px;
  font: 12px ui-monospace, monospace; color: #777; padding-top: 4px; }
kiln-notebook .nb-run { border: none; background: none; cursor: pointer; color: #1565c0; font-size: 14px; padding: 0 2px; }
kiln-notebook .nb-main { flex: 1; min-width: 0; }
kiln-notebook .nb-cell-bar { display: flex; gap: 4px; align-items: center; font-size: 11px; color: #777; min-height: 20px; }
kiln-notebook .nb-cell-bar select { font-size: 11px; }
kiln-notebook .nb-cell-actions { margin-left: auto; display: none; gap: 3px; }
kiln-notebook .nb-cell:hover .nb-cell-actions, kiln-notebook .nb-cell.nb-selected .nb-cell-actions { display: flex; }
kiln-notebook .nb-run-info { color: #666; }
kiln-notebook .nb-cell[data-state=error] .nb-run-info, kiln-notebook .nb-cell[data-state=lost] .nb-run-info { color: #c62828; }
kiln-notebook .nb-editor { border: 1px solid #e0e0e0; border-radius: 3px; background: #f7f7f7; }
kiln-notebook .nb-cell[data-type=markdown] .nb-editor { background: white; }
kiln-notebook .nb-editor .cm-editor { font-size: 13.5px; }
kiln-notebook .nb-editor .cm-editor.cm-focused { outline: 1px solid #90caf9; }
kiln-notebook .nb-editor .cm-scroller { font-family: ui-monospace, 'JetBrains Mono', Menlo, Consolas, monospace; }
kiln-notebook .nb-markdown-view { padding: 2px 8px; min-height: 1.4em; cursor: text; }
kiln-notebook .nb-markdown-view:empty::before { content: 'Empty Markdown cell: double-click to edit'; color: #aaa; }
kiln-notebook .nb-outputs { margin-top: 2px; max-height: 640px; overflow: auto; }
kiln-notebook .nb-outputs pre { margin: 2px 0; padding: 2px 6px; font: 12.5px/1.4 ui-monospace, Menlo, Consolas, monospace;
  white-space: pre-wrap; word-break: break-word; }
kiln-notebook .nb-stderr { background: #fff5f5; }
kiln-notebook .nb-error { background: #ffebee; color: #b71c1c; }
kiln-notebook .nb-display { margin: 2px 0; overflow-x: auto; }
kiln-notebook .nb-html table, kiln-notebook .nb-html .kiln-table { border-collapse: collapse; font-size: 12.5px; }
kiln-notebook .nb-html th, kiln-notebook .nb-html td { border: 1px solid #ddd; padding: 2px 8px; text-align: right; }
kiln-notebook .nb-html th { background: #f5f5f5; }
kiln-notebook .nb-image { max-width: 100%; image-rendering: pixelated; }
kiln-notebook .nb-chart { display: block; height: 260px; max-width: 720px; }
kiln-notebook .kiln-progress progress { width: 240px; vertical-align: middle; }
kiln-notebook .nb-empty { color: #888; padding: 24px; }
.kiln-nb-caret { position: relative; border-left: 2px solid; margin-left: -1px; margin-right: -1px; }
.kiln-nb-caret-name { position: absolute; top: -1.2em; left: -2px; font: 10px/1.2em sans-serif; color: white; padding: 0 3px;
  border-radius: 3px 3px 3px 0; white-space: nowrap; pointer-events: none; }
`;

function injectStyle() {
  if (document.getElementById('kiln-notebook-style')) return;
  const style = document.createElement('style');
  style.id = 'kiln-notebook-style';
  style.textContent = STYLE;
  document.head.append(style);
}

const setCarets = StateEffect.define<Presence[]>();

const NOTEBOOK_CARET = { caret: 'kiln-nb-caret', label: 'kiln-nb-caret-name' };

const carets = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(decorations, tr) {
    decorations = decorations.map(tr.changes);
    for (const effect of tr.effects) {
      if (effect.is(setCarets)) {
        const length = tr.state.doc.length;
        const builder = new RangeSetBuilder<Decoration>();
        const sorted = [...effect.value].sort((a, b) => Math.min(a.head, length) - Math.min(b.head, length));
        for (const p of sorted) {
          const head = Math.min(p.head, length);
          builder.add(head, head, Decoration.widget({ widget: new CaretWidget(p.name, p.colour, NOTEBOOK_CARET), side: 1 }));
        }
        decorations = builder.finish();
      }
    }
    return decorations;
  },
  provide: f => EditorView.decorations.from(f),
});

/** The DOM of one cell, kept across renders (its CodeMirror view lives in it). */
interface CellNode {
  root: HTMLElement;
  count: HTMLElement;
  type: HTMLSelectElement;
  info: HTMLElement;
  here: HTMLElement;
  editorHost: HTMLElement;
  markdownView: HTMLElement;
  outputs: HTMLElement;
  outputElements: HTMLElement[];
  language: Compartment;
  readOnly: Compartment;
  editing: boolean;
}

/**
 * <kiln-notebook url="/notebook/<studio>?path=analysis.ipynb">: a Jupyter notebook edited and run together. Each
 * cell's source is its own CodeMirror editor on a collab document of the server's, so everyone types in every cell
 * at once; cells are added, moved, deleted and retyped live; outputs stream in as the kernel produces them (the
 * server records them, so a reopened notebook shows what happened while it was closed). Run with Shift+Enter
 * (and move on), Ctrl+Enter (stay) or Alt+Enter (and add a cell); the toolbar runs all, above or below, interrupts,
 * restarts and picks the kernel. Viewers read everything and run nothing. Renders in the light DOM.
 */
@customElement('kiln-notebook')
export class KilnNotebook extends LitElement {
  @property({ type: String }) url = '';
  /** Cells offered to run again, in order, after the kernel went with its machine. */
  @state() private rebuild: string[] = [];
  @state() private kernel: KernelInfo = { state: 'none', spec: null, displayName: null, language: null, detail: null, specs: [] };
  @state() private status: ConnectionStatus = 'connecting';
  @state() private statusMessage = '';
  @state() private refusal = '';
  @state() private selected: string | null = null;
  @state() private people: { name: string; colour: string }[] = [];
  @state() private cellCount = 0;

  private session?: NotebookSession;
  private nodes = new Map<string, CellNode>();
  private ticker?: number;
  private completions = new Map<string, (result: { matches: string[]; from: number; to: number } | null) => void>();
  private inspections = new Map<string, (result: { found: boolean; text: string } | null) => void>();
  private readonly onBeforeUnload = (e: BeforeUnloadEvent) => {
    if (this.session && this.session.unsent() > 0) { e.preventDefault(); e.returnValue = ''; }
  };

  protected createRenderRoot() {
    return this;
  }

  connectedCallback() {
    super.connectedCallback();
    injectStyle();
    window.addEventListener('beforeunload', this.onBeforeUnload);
    this.ticker = window.setInterval(() => this.tick(), 1000);
  }

  disconnectedCallback() {
    window.removeEventListener('beforeunload', this.onBeforeUnload);
    window.clearInterval(this.ticker);
    this.session?.close();
    this.session = undefined;
    super.disconnectedCallback();
  }

  protected updated(changed: PropertyValues<this>) {
    if (changed.has('url')) {
      if (this.url) {
        this.open();
      } else {
        this.session?.close();
        this.session = undefined;
        for (const node of this.nodes.values()) node.root.remove();
        this.nodes.clear();
        this.cellCount = 0;
      }
    }
  }

  /** For tests and the studio view: the cells' ids in order, and a cell's source as its editor holds it. */
  cellIds(): string[] {
    return this.session ? this.session.visible().map(e => e.id) : [];
  }

  cellText(id: string): string {
    const cell = this.session?.cells.get(id);
    return cell?.view ? cell.view.state.doc.toString() : cell?.text ?? '';
  }

  /** Changes the server has not confirmed yet (typing or cell changes). */
  unsent(): number {
    return this.session?.unsent() ?? 0;
  }

  private open() {
    this.session?.close();
    for (const node of this.nodes.values()) node.root.remove();
    this.nodes.clear();
    const element = this;
    this.session = new NotebookSession(this.url, {
      structureChanged: () => element.renderCells(),
      cellReady: cell => element.buildEditor(cell),
      outputsReplaced: cell => element.renderOutputs(cell),
      outputAdded: (cell, index) => element.addOutput(cell, index),
      outputChanged: (cell, index, appended) => element.changeOutput(cell, index, appended),
      runChanged: cell => element.renderRun(cell),
      kernelChanged: kernel => { element.kernel = { ...kernel }; element.reconfigureLanguages(); },
      rebuildChanged: cells => { element.rebuild = [...cells]; },
      statusChanged: (status, message) => {
        element.status = status;
        element.statusMessage = message;
        if (status == 'revoked' || status == 'closed') element.setReadOnly();
        element.dispatchEvent(new CustomEvent('notebook-status', { detail: { status, message }, bubbles: true, composed: true }));
      },
      presenceChanged: cell => element.renderPresence(cell),
      completion: (request, matches, from, to) => {
        this.completions.get(request)?.({ matches, from, to });
        this.completions.delete(request);
      },
      documentation: (request, found, text) => {
        this.inspections.get(request)?.({ found, text });
        this.inspections.delete(request);
      },
      refused: (code, message) => { element.refusal = message; console.warn('Kiln notebook:', code, message); },
    });
  }

  // ---- the cell list ----

  private cellsHost(): HTMLElement | null {
    return this.querySelector('.nb-cells');
  }

  private renderCells() {
    const host = this.cellsHost();
    const session = this.session;
    if (!host || !session) return;
    const visible = session.visible();
    const ids = new Set(visible.map(e => e.id));
    for (const [id, node] of this.nodes) {
      if (!ids.has(id)) {
        node.root.remove();
        this.nodes.delete(id);
        session.cells.get(id)?.view?.destroy();
        if (session.cells.get(id)) session.cells.get(id)!.view = undefined;
      }
    }
    let previous: HTMLElement | null = null;
    for (const entry of visible) {
      const node = this.nodeOf(entry.id);
      node.root.dataset.type = entry.type;
      if (node.type.value != entry.type) node.type.value = entry.type;
      this.showMarkdown(entry.id, node);
      // Move only what is out of place, so a focused editor is not taken out of the page.
      const expected: Element | null = previous ? previous.nextElementSibling : host.firstElementChild;
      if (expected !== node.root) host.insertBefore(node.root, expected);
      previous = node.root;
      const cell = session.cells.get(entry.id);
      if (cell && cell.text != null && !cell.view) this.buildEditor(cell);
    }
    this.cellCount = visible.length;
    if (this.selected && !ids.has(this.selected)) this.selected = null;
    this.reconfigureLanguages();
  }

  private nodeOf(id: string): CellNode {
    const existing = this.nodes.get(id);
    if (existing) return existing;
    const root = document.createElement('div');
    root.className = 'nb-cell';
    root.dataset.cell = id;
    root.innerHTML = `<div class="nb-gutter"><button class="nb-run" title="Run this cell (Shift+Enter)">&#9654;</button>
      <div class="nb-count">[ ]</div></div>
      <div class="nb-main"><div class="nb-cell-bar"><select class="nb-type" title="Cell type">
      <option value="code">Code</option><option value="markdown">Markdown</option><option value="raw">Raw</option></select>
      <span class="nb-run-info"></span><span class="nb-here"></span>
      <span class="nb-cell-actions"><button class="nb-move-up" title="Move up">&#8593;</button>
      <button class="nb-move-down" title="Move down">&#8595;</button>
      <button class="nb-add-below" title="Add a code cell below">+ Code</button>
      <button class="nb-delete" title="Delete this cell">Delete</button></span></div>
      <div class="nb-editor"></div><div class="nb-markdown-view"></div><div class="nb-outputs"></div></div>`;
    const node: CellNode = {
      root,
      count: root.querySelector('.nb-count')!,
      type: root.querySelector('.nb-type')!,
      info: root.querySelector('.nb-run-info')!,
      here: root.querySelector('.nb-here')!,
      editorHost: root.querySelector('.nb-editor')!,
      markdownView: root.querySelector('.nb-markdown-view')!,
      outputs: root.querySelector('.nb-outputs')!,
      outputElements: [],
      language: new Compartment(),
      readOnly: new Compartment(),
      editing: false,
    };
    const session = this.session!;
    const editable = session.canEdit();
    const runnable = session.mayRun;
    (root.querySelector('.nb-run') as HTMLElement).hidden = !runnable;
    (root.querySelector('.nb-cell-actions') as HTMLElement).hidden = !editable;
    node.type.disabled = !editable;
    root.addEventListener('mousedown', () => this.select(id));
    root.querySelector('.nb-run')!.addEventListener('click', () => this.runCell(id));
    node.type.addEventListener('change', () => session.setType(id, node.type.value as CellType));
    root.querySelector('.nb-move-up')!.addEventListener('click', () => this.moveBy(id, -1));
    root.querySelector('.nb-move-down')!.addEventListener('click', () => this.moveBy(id, 1));
    root.querySelector('.nb-add-below')!.addEventListener('click', () => this.addCell('code', id));
    root.querySelector('.nb-delete')!.addEventListener('click', () => session.remove(id));
    node.markdownView.addEventListener('dblclick', () => this.editMarkdown(id, true));
    this.nodes.set(id, node);
    const cell = session.cells.get(id);
    if (cell) {
      this.renderOutputs(cell);
      this.renderRun(cell);
    }
    return node;
  }

  private typeOf(id: string): CellType {
    return this.session?.visible().find(e => e.id == id)?.type ?? 'code';
  }

  private select(id: string | null) {
    if (this.selected == id) return;
    if (this.selected) this.nodes.get(this.selected)?.root.classList.remove('nb-selected');
    this.selected = id;
    if (id) this.nodes.get(id)?.root.classList.add('nb-selected');
  }

  // ---- editors ----

  private buildEditor(cell: CellState) {
    const session = this.session!;
    if (!session.visible().some(e => e.id == cell.id) && !session.structure.shown().some(e => e.id == cell.id)) return;
    const node = this.nodeOf(cell.id);
    cell.view?.destroy();
    const element = this;
    const state = EditorState.create({
      doc: cell.text ?? '',
      extensions: [
        // No auto-closed brackets, as in JupyterLab by default: what is typed (or pasted) is what the cell holds.
        highlightSpecialChars(), history(), drawSelection(), indentOnInput(), bracketMatching(),
        highlightActiveLine(), syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
        autocompletion({ override: [ctx => element.complete(cell.id, ctx)], activateOnTyping: false }),
        documentation((view, pos) => { void element.inspect(cell.id, view, pos); }),
        keymap.of([
          { key: 'Shift-Enter', preventDefault: true, run: () => { element.runCell(cell.id, 'next'); return true; } },
          { key: 'Mod-Enter', preventDefault: true, run: () => { element.runCell(cell.id, 'stay'); return true; } },
          { key: 'Alt-Enter', preventDefault: true, run: () => { element.runCell(cell.id, 'insert'); return true; } },
          ...defaultKeymap, ...historyKeymap, ...completionKeymap, indentWithTab,
        ]),
        node.language.of(this.languageFor(cell.id)),
        node.readOnly.of(this.readOnlyExtension()),
        collab({ startVersion: cell.startVersion, clientID: session.clientId }),
        carets,
        EditorView.lineWrapping,
        EditorView.updateListener.of(update => {
          if (update.docChanged) {
            session.flush(cell);
            if (element.typeOf(cell.id) == 'markdown' && !node.editing) element.showMarkdown(cell.id, node);
          }
          if (update.docChanged || update.selectionSet) window.setTimeout(() => session.cursor(cell), 40);
          if (update.focusChanged && update.view.hasFocus) {
            element.select(cell.id);
            session.setFocus(cell.id);
          }
        }),
      ],
    });
    // The root explicitly: CodeMirror's own guess follows slots into the shadow root of the Vaadin layout this
    // element sits in, and then never sees its editor as focused (typing would land where the DOM caret was).
    cell.view = new EditorView({ state, parent: node.editorHost, root: this.getRootNode() as Document | ShadowRoot });
    this.showMarkdown(cell.id, node);
    this.renderPresence(cell);
  }

  private languageFor(id: string): Extension {
    const type = this.typeOf(id);
    if (type == 'markdown') return markdown();
    if (type == 'raw') return [];
    switch (this.kernel.language ?? 'java') {
      case 'python': return python();
      case 'java': return java();
      default: return [];
    }
  }

  private readOnlyExtension(): Extension {
    const readOnly = !this.session || !this.session.canEdit() || this.status == 'revoked' || this.status == 'closed';
    return [EditorState.readOnly.of(readOnly), EditorView.editable.of(!readOnly)];
  }

  private reconfigureLanguages() {
    for (const [id, node] of this.nodes) {
      const view = this.session?.cells.get(id)?.view;
      view?.dispatch({ effects: [node.language.reconfigure(this.languageFor(id))] });
      this.showMarkdown(id, node);
    }
  }

  private setReadOnly() {
    for (const [id, node] of this.nodes) {
      this.session?.cells.get(id)?.view?.dispatch({ effects: node.readOnly.reconfigure(this.readOnlyExtension()) });
    }
  }

  /** Markdown cells show their rendering unless being edited; other cells always show the editor. */
  private showMarkdown(id: string, node: CellNode) {
    const markdownCell = this.typeOf(id) == 'markdown';
    const rendered = markdownCell && !node.editing;
    node.editorHost.hidden = rendered;
    node.markdownView.hidden = !rendered;
    node.root.querySelector('.nb-gutter .nb-run')?.toggleAttribute('hidden', markdownCell || !this.session?.mayRun);
    if (rendered) node.markdownView.innerHTML = markdownHtml(this.cellText(id));
  }

  private editMarkdown(id: string, editing: boolean) {
    const node = this.nodes.get(id);
    if (!node || !this.session?.canEdit()) return;
    node.editing = editing;
    this.showMarkdown(id, node);
    if (editing) this.session.cells.get(id)?.view?.focus();
  }

  private async complete(id: string, context: CompletionContext): Promise<CompletionResult | null> {
    if (!this.session?.mayRun || this.typeOf(id) != 'code') return null;
    const request = Math.random().toString(36).slice(2);
    const answer = new Promise<{ matches: string[]; from: number; to: number } | null>(resolve => {
      this.completions.set(request, resolve);
      window.setTimeout(() => { this.completions.delete(request); resolve(null); }, 4000);
    });
    this.session.complete(request, context.state.doc.toString(), context.pos);
    const result = await answer;
    if (!result || !result.matches.length) return null;
    return { from: result.from, to: result.to, options: result.matches.map(label => ({ label })) };
  }

  /** Shift+Tab: the kernel's documentation of what is at the cursor, under it (dropped if the cell changed since). */
  private async inspect(id: string, view: EditorView, pos: number) {
    if (!this.session?.mayRun || this.typeOf(id) != 'code') return;
    const request = Math.random().toString(36).slice(2);
    const doc = view.state.doc;
    const answer = new Promise<{ found: boolean; text: string } | null>(resolve => {
      this.inspections.set(request, resolve);
      window.setTimeout(() => { this.inspections.delete(request); resolve(null); }, 4000);
    });
    this.session.inspect(request, doc.toString(), pos);
    const result = await answer;
    if (!result || view.state.doc != doc) return;
    showDocumentation(view, { pos, found: result.found, text: result.found || result.text ? result.text
      : 'No documentation for what is at the cursor.' });
  }

  // ---- running ----

  private runCell(id: string, then: 'next' | 'stay' | 'insert' = 'stay') {
    const session = this.session;
    if (!session) return;
    const node = this.nodes.get(id);
    if (this.typeOf(id) == 'markdown') {
      this.editMarkdown(id, false);
    } else if (session.mayRun && this.typeOf(id) == 'code') {
      session.run([id]);
    }
    const ids = this.cellIds();
    const next = ids[ids.indexOf(id) + 1];
    if (then == 'insert' || (then == 'next' && !next && session.canEdit())) {
      this.addCell('code', id);
    } else if (then == 'next' && next) {
      this.select(next);
      const nextNode = this.nodes.get(next);
      if (this.typeOf(next) == 'markdown' && nextNode && !nextNode.editing) nextNode.root.scrollIntoView({ block: 'nearest' });
      else session.cells.get(next)?.view?.focus();
    } else {
      node?.root.scrollIntoView({ block: 'nearest' });
    }
  }

  private codeIds(ids: string[]): string[] {
    return ids.filter(id => this.typeOf(id) == 'code');
  }

  private runAll() {
    this.session?.run(this.codeIds(this.cellIds()));
  }

  /** Jupyter's "run all above the selected cell" (not the cell itself) and "the selected cell and all below". */
  private runAbove() {
    const ids = this.cellIds();
    const at = this.selected ? ids.indexOf(this.selected) : ids.length;
    this.session?.run(this.codeIds(ids.slice(0, Math.max(0, at))));
  }

  private runBelow() {
    const ids = this.cellIds();
    const at = this.selected ? Math.max(0, ids.indexOf(this.selected)) : 0;
    this.session?.run(this.codeIds(ids.slice(at)));
  }

  private addCell(type: CellType, after: string | null = this.selected ?? this.cellIds().at(-1) ?? null) {
    const session = this.session;
    if (!session?.canEdit()) return;
    const id = session.insert(type, after);
    this.select(id);
    const node = this.nodes.get(id);
    if (type == 'markdown' && node) {
      node.editing = true;
      this.showMarkdown(id, node);
    }
    // At once, so that what is typed next lands in the new cell; again after the browser has laid it out.
    session.cells.get(id)?.view?.focus();
    window.setTimeout(() => session.cells.get(id)?.view?.focus(), 0);
  }

  private moveBy(id: string, delta: number) {
    const ids = this.cellIds();
    const at = ids.indexOf(id);
    const target = at + delta;
    if (at < 0 || target < 0 || target >= ids.length) return;
    const rest = ids.filter(x => x != id);
    const after = target == 0 ? null : rest[target - 1];
    this.session?.move(id, after);
  }

  // ---- outputs and runs ----

  private renderOutputs(cell: CellState) {
    const node = this.nodes.get(cell.id);
    if (!node) return;
    node.outputs.textContent = '';
    node.outputElements = cell.outputs.map(o => renderOutput(o));
    node.outputs.append(...node.outputElements);
    node.outputs.dataset.count = String(cell.outputs.length);
    this.renderRun(cell);
  }

  private addOutput(cell: CellState, index: number) {
    const node = this.nodes.get(cell.id);
    if (!node) return;
    const element = renderOutput(cell.outputs[index]);
    node.outputElements[index] = element;
    node.outputs.append(element);
    node.outputs.dataset.count = String(cell.outputs.length);
    this.stickToBottom(node.outputs);
  }

  private changeOutput(cell: CellState, index: number, appended: string | null) {
    const node = this.nodes.get(cell.id);
    const element = node?.outputElements[index];
    if (!node || !element) {
      this.renderOutputs(cell);
      return;
    }
    node.outputElements[index] = updateOutput(element, cell.outputs[index], appended);
    this.stickToBottom(node.outputs);
  }

  /** A long output follows its end while you are looking at its end (as a terminal does). */
  private stickToBottom(box: HTMLElement) {
    if (box.scrollHeight - box.scrollTop - box.clientHeight < 80) box.scrollTop = box.scrollHeight;
  }

  private renderRun(cell: CellState) {
    const node = this.nodes.get(cell.id);
    if (!node) return;
    const run = cell.run;
    node.root.dataset.state = run?.state ?? '';
    const waiting = run && (run.state == 'queued' || run.state == 'running');
    node.count.textContent = waiting ? '[*]' : cell.executionCount != null ? `[${cell.executionCount}]` : '[ ]';
    node.info.textContent = run ? this.runText(run) : '';
    node.info.title = run?.detail ?? '';
  }

  private runText(run: NonNullable<CellState['run']>): string {
    const seconds = (from?: number, to?: number) => from ? `${(((to ?? Date.now()) - from) / 1000).toFixed(to ? 2 : 0)} s` : '';
    switch (run.state) {
      case 'queued': return `queued by ${run.by}`;
      case 'running': return `running ${seconds(run.startedAt)} · ${run.by}`;
      case 'done': return `${run.by} · ${seconds(run.startedAt, run.endedAt)}`;
      case 'error': return `${run.by} · failed after ${seconds(run.startedAt, run.endedAt)}`;
      default: return run.detail ?? run.state;
    }
  }

  private tick() {
    if (!this.session) return;
    for (const cell of this.session.cells.values()) {
      if (cell.run?.state == 'running') this.renderRun(cell);
    }
  }

  // ---- presence ----

  private renderPresence(changed: CellState | null) {
    const session = this.session;
    if (!session) return;
    const cells = changed ? [changed] : [...session.cells.values()];
    for (const cell of cells) {
      const node = this.nodes.get(cell.id);
      const here = [...session.focus.values()].filter(f => f.cell == cell.id && f.clientId != session.clientId);
      if (node) {
        node.here.textContent = '';
        for (const person of here) {
          const chip = document.createElement('span');
          chip.className = 'nb-person';
          chip.style.background = person.colour;
          chip.textContent = person.name;
          node.here.append(chip);
        }
      }
      const view = cell.view;
      if (view && cell.presenceVersion == getSyncedVersion(view.state) && cell.unsent() == 0) {
        const ids = new Set(here.map(f => f.clientId));
        view.dispatch({ effects: setCarets.of(cell.presence.filter(p => ids.has(p.clientId))) });
      }
    }
    const people = new Map<string, { name: string; colour: string }>();
    for (const f of session.focus.values()) if (f.clientId != session.clientId) people.set(f.name, f);
    this.people = [...people.values()];
  }

  // ---- the page ----

  private kernelStateText(): string {
    if (this.status == 'reconnecting' || this.status == 'connecting') return this.status;
    switch (this.kernel.state) {
      case 'none': return 'no kernel';
      default: return this.kernel.state;
    }
  }

  private statusText(): string {
    const unsent = this.session?.unsent() ?? 0;
    switch (this.status) {
      case 'connecting': return 'Connecting…';
      case 'connected': return (unsent ? `Connected · sending ${unsent}` : 'Connected') + (this.statusMessage ? ' · ' + this.statusMessage : '');
      case 'reconnecting': return 'Reconnecting… (what you type is kept here and sent when the connection is back)';
      default: return this.statusMessage;
    }
  }

  render() {
    const session = this.session;
    const runnable = !!session?.mayRun && this.status == 'connected';
    const editable = !!session?.canEdit() && this.status == 'connected';
    const state = this.status == 'connected' ? this.kernel.state : 'reconnecting';
    const specs = this.kernel.specs.length ? this.kernel.specs
      : this.kernel.spec ? [{ name: this.kernel.spec, displayName: this.kernel.displayName ?? this.kernel.spec, language: '' }] : [];
    return html`
      <div class="nb-toolbar" part="toolbar">
        <button id="nb-add-code" ?hidden=${!session?.canEdit()} ?disabled=${!editable} @click=${() => this.addCell('code')}>+ Code</button>
        <button id="nb-add-markdown" ?hidden=${!session?.canEdit()} ?disabled=${!editable} @click=${() => this.addCell('markdown')}>+ Markdown</button>
        <button id="nb-run-all" ?hidden=${!session?.mayRun} ?disabled=${!runnable} @click=${() => this.runAll()}>Run all</button>
        <button id="nb-run-above" ?hidden=${!session?.mayRun} ?disabled=${!runnable || !this.selected} @click=${() => this.runAbove()}
          title="Run the cells above the selected one">Run above</button>
        <button id="nb-run-below" ?hidden=${!session?.mayRun} ?disabled=${!runnable || !this.selected} @click=${() => this.runBelow()}
          title="Run the selected cell and all below it">Run below</button>
        <button id="nb-interrupt" ?hidden=${!session?.mayRun} ?disabled=${!runnable} @click=${() => this.session?.interrupt()}>Interrupt</button>
        <button id="nb-restart" ?hidden=${!session?.mayRun} ?disabled=${!runnable || this.kernel.state == 'none'}
          @click=${() => this.session?.restart()}>Restart</button>
        <button id="nb-clear" ?hidden=${!session?.canEdit()} ?disabled=${!editable} @click=${() => this.session?.clearOutputs(this.cellIds())}>Clear outputs</button>
        <span class="nb-kernel">
          <select id="nb-kernel-picker" title="Kernel" ?disabled=${!runnable} @change=${(e: Event) => this.session?.selectKernel((e.target as HTMLSelectElement).value)}>
            ${this.kernel.spec ? nothing : html`<option value="" selected>Pick a kernel…</option>`}
            ${specs.map(s => html`<option value=${s.name} ?selected=${s.name == this.kernel.spec}>${s.displayName}</option>`)}
          </select>
          <span id="nb-kernel-state" class="nb-kernel-state" data-state=${state}>${this.kernelStateText()}</span>
        </span>
      </div>
      ${this.kernel.detail ? html`<div id="nb-kernel-detail" class="nb-detail" data-state=${this.kernel.state}>${this.kernel.detail}</div>` : nothing}
      ${this.rebuild.length && session?.mayRun ? html`<div id="nb-rebuild" class="nb-detail nb-rebuild">
          <button id="nb-rebuild-run" ?disabled=${!runnable} @click=${() => this.session?.rebuildState()}
            title="Runs them on this machine's new kernel, one after another, as they ran before">Re-run the ${this.rebuild.length == 1 ? 'cell' : this.rebuild.length + ' cells'} that ran, in order</button>
          <button id="nb-rebuild-dismiss" ?disabled=${!runnable} @click=${() => this.session?.rebuildState(true)}>Not now</button>
        </div>` : nothing}
      <div class="nb-status" part="status">
        <span id="nb-connection" data-status=${this.status}>${this.statusText()}</span>
        ${this.refusal ? html`<span id="nb-refusal" style="color:#c62828">${this.refusal}</span>` : nothing}
        <span style="margin-left:auto"></span>
        ${this.people.map(p => html`<span class="nb-person" style="background:${p.colour}">${p.name}</span>`)}
      </div>
      <div class="nb-scroll">
        ${this.cellCount == 0 && this.status == 'connected'
          ? html`<div class="nb-empty">This notebook has no cells yet.${session?.canEdit() ? ' Add one with + Code or + Markdown.' : ''}</div>` : nothing}
        <div class="nb-cells"></div>
      </div>`;
  }

  protected firstUpdated() {
    this.renderCells();
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'kiln-notebook': KilnNotebook;
  }
}
