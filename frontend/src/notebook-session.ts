import { ChangeSet } from '@codemirror/state';
import { EditorView } from '@codemirror/view';
import { getSyncedVersion, receiveUpdates, sendableUpdates, Update } from '@codemirror/collab';
import { CellType, Entry, StructureOp, StructureState } from './notebook-structure';
import { CollabClientMessage, CollabServerMessage, UpdateJson, isTextWelcome } from './protocol/collab';
import {
  Focus, KernelInfo, NotebookClientMessage, NotebookServerMessage, NotebookWelcome, Output, RunInfo, parseNotebookMessage,
} from './protocol/notebook';
import { ReconnectOptions, ReconnectingSocket } from './reconnect';

export type { Focus, KernelInfo, KernelSpec, RunInfo } from './protocol/notebook';

export interface Presence {
  clientId: string;
  name: string;
  colour: string;
  anchor: number;
  head: number;
}

/** One cell as the browser holds it: outputs, run, and its source's live document. */
export class CellState {
  outputs: Output[] = [];
  executionCount: number | null = null;
  run: RunInfo | null = null;
  /** The source document: known once the server sent it (or at once for a cell made here). */
  text: string | null = null;
  startVersion = 0;
  view?: EditorView;
  /** The server has this cell's document on the current connection: pushes may go. */
  joined = false;
  pushing = false;
  presence: Presence[] = [];
  presenceVersion = -1;

  constructor(readonly id: string) {}

  unsent(): number {
    return this.view && this.text != null ? sendableUpdates(this.view.state).length : 0;
  }
}

export type ConnectionStatus = 'connecting' | 'connected' | 'reconnecting' | 'closed' | 'revoked' | 'signed-out';

/** What the session tells the element. */
export interface NotebookHost {
  /** The cell list changed (order, types, cells added or removed). */
  structureChanged(): void;
  /** A cell's document arrived or started over: build (or rebuild) its editor. */
  cellReady(cell: CellState): void;
  outputsReplaced(cell: CellState): void;
  outputAdded(cell: CellState, index: number): void;
  outputChanged(cell: CellState, index: number, appended: string | null): void;
  runChanged(cell: CellState): void;
  kernelChanged(kernel: KernelInfo): void;
  /** The cells offered to run again after the kernel went with its machine (empty: no offer). */
  rebuildChanged(cells: string[]): void;
  statusChanged(status: ConnectionStatus, message: string): void;
  presenceChanged(cell: CellState | null): void;
  completion(request: string, matches: string[], from: number, to: number): void;
  /** The answer to {@link NotebookSession.inspect}: the kernel's documentation, as plain text. */
  documentation(request: string, found: boolean, text: string): void;
  refused(code: string, message: string): void;
}

function parseUpdates(json: UpdateJson[]): Update[] {
  return json.map(u => ({ changes: ChangeSet.fromJSON(u.changes), clientID: u.clientId }));
}

/**
 * One notebook over Kiln's notebook WebSocket (notebook PROTOCOL.md): the cell list with optimistic structure ops,
 * each cell's source through @codemirror/collab on a document of its own (its messages wrapped in "cell"), outputs
 * and runs as the server records them, and the kernel's state. Reconnects by itself and sends again what the server
 * has not confirmed (structure ops by their numbers, typing by the cells' versions).
 */
export class NotebookSession {
  readonly clientId = 'n' + Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
  readonly structure = new StructureState(this.clientId);
  readonly cells = new Map<string, CellState>();
  role = 'viewer';
  mayRun = false;
  name = '';
  kernel: KernelInfo = { state: 'none', spec: null, displayName: null, language: null, detail: null, specs: [] };
  focus = new Map<string, Focus>();
  rebuild: string[] = [];
  status: ConnectionStatus = 'connecting';
  private readonly socket: ReconnectingSocket;
  private welcomed = false;
  private pingTimer?: ReturnType<typeof setInterval>;

  constructor(url: string, private readonly host: NotebookHost, options: ReconnectOptions = {}) {
    this.socket = new ReconnectingSocket(url, {
      opened: () => this.hello(),
      received: data => this.receive(data),
      lost: () => {
        this.welcomed = false;
        this.setStatus('reconnecting', '');
      },
      ended: (code, reason) => {
        this.welcomed = false;
        if (code == 4403) this.setStatus('revoked', reason || 'Your access to this studio was revoked.');
        else this.setStatus('closed', reason || 'This notebook was closed on the server.');
      },
      signedOut: () => {
        this.welcomed = false;
        this.setStatus('signed-out', 'You were signed out; reload the page to sign in again (what you typed is lost on reload).');
      },
    }, options);
    this.socket.open();
    this.pingTimer = setInterval(() => this.send({ type: 'ping' }), 10_000);
  }

  close() {
    clearInterval(this.pingTimer);
    this.socket.close('closed by the notebook');
  }

  canEdit(): boolean {
    return this.role != 'viewer';
  }

  /** Cells with changes the server has not confirmed (typing or structure). */
  unsent(): number {
    let n = this.structure.pending().length;
    for (const cell of this.cells.values()) n += cell.unsent();
    return n;
  }

  visible(): Entry[] {
    return this.structure.visible();
  }

  // ---- what the person does ----

  insert(type: CellType, after: string | null, source = ''): string {
    const id = Math.random().toString(16).slice(2, 10).padEnd(8, '0');
    const cell = new CellState(id);
    cell.text = source;
    cell.startVersion = 0;
    this.cells.set(id, cell);
    this.op({ op: 'insert', cell: id, type, after, source });
    this.host.cellReady(cell);
    return id;
  }

  remove(id: string) {
    this.op({ op: 'delete', cell: id });
  }

  move(id: string, after: string | null) {
    this.op({ op: 'move', cell: id, after });
  }

  setType(id: string, type: CellType) {
    this.op({ op: 'type', cell: id, type });
  }

  /**
   * Runs cells once the server has what was typed in them: the kernel gets the source the server holds, so a run
   * waits for the cells' pending changes to be confirmed (a moment; it goes when the connection is back).
   */
  run(ids: string[]) {
    this.runs.push(ids);
    this.sendRuns();
  }

  private runs: string[][] = [];

  private sendRuns() {
    while (this.runs.length && this.welcomed && this.socket.isOpen()) {
      const ids = this.runs[0];
      if (ids.some(id => (this.cells.get(id)?.unsent() ?? 0) > 0)) {
        ids.forEach(id => { const cell = this.cells.get(id); if (cell) this.flush(cell); });
        return;
      }
      this.runs.shift();
      this.send({ type: 'run', cells: ids });
    }
  }

  interrupt() {
    this.send({ type: 'interrupt' });
  }

  restart() {
    this.send({ type: 'restart' });
  }

  /** Re-runs, in order, the cells that had run in the kernel lost with the last machine (or drops the offer). */
  rebuildState(dismiss = false) {
    this.send({ type: 'rebuild', dismiss });
  }

  selectKernel(spec: string) {
    this.send({ type: 'kernel', spec });
  }

  clearOutputs(ids: string[]) {
    this.send({ type: 'clear', cells: ids });
  }

  setFocus(cell: string | null) {
    this.send({ type: 'focus', cell });
  }

  complete(request: string, code: string, cursor: number) {
    this.send({ type: 'complete', request, code, cursor });
  }

  /** Asks for the documentation of what is at {@code cursor}; answered through the host's documentation. */
  inspect(request: string, code: string, cursor: number) {
    this.send({ type: 'inspect', request, code, cursor });
  }

  /** Called by a cell's editor after every change: sends what was typed (one push in flight per cell). */
  flush(cell: CellState) {
    const view = cell.view;
    if (!view || !cell.joined || cell.pushing || !this.socket.isOpen() || !this.canEdit()) return;
    const updates = sendableUpdates(view.state);
    if (!updates.length) return;
    cell.pushing = true;
    this.cellSend(cell.id, {
      type: 'push',
      version: getSyncedVersion(view.state),
      updates: updates.map(u => ({ clientId: u.clientID, changes: u.changes.toJSON() })),
    });
  }

  cursor(cell: CellState) {
    const view = cell.view;
    if (!view || !cell.joined || cell.unsent() > 0) return;
    const range = view.state.selection.main;
    this.cellSend(cell.id, { type: 'cursor', version: getSyncedVersion(view.state), anchor: range.anchor, head: range.head });
  }

  private op(op: StructureOp) {
    const pending = this.structure.local(op);
    this.send({ type: 'structure', seq: pending.seq, op });
    this.host.structureChanged();
  }

  // ---- the connection ----

  private hello() {
    this.welcomed = false;
    const versions: Record<string, number> = {};
    for (const cell of this.cells.values()) {
      cell.joined = false;
      cell.pushing = false;
      if (cell.view && cell.text != null) versions[cell.id] = getSyncedVersion(cell.view.state);
    }
    this.send({ type: 'hello', clientId: this.clientId, cells: versions });
  }

  private receive(data: string) {
    const parsed = parseNotebookMessage(data);
    if (!parsed.ok) {
      console.warn('Kiln notebook: ignored a malformed message:', parsed.problem);
      return;
    }
    this.handle(parsed.message);
  }

  private handle(message: NotebookServerMessage) {
    switch (message.type) {
      case 'welcome': return this.welcome(message);
      case 'structure': {
        const ok = this.structure.receive(message.version, message.op, message.clientId, message.seq);
        if (!ok) {
          this.socket.restart(4000, 'out of order');
          return;
        }
        if (message.op.op == 'type' || message.op.op == 'delete') {
          const cell = this.cells.get(message.op.cell);
          if (cell && message.op.op == 'delete' && !this.structure.shown().some(e => e.id == cell.id && !e.deleted)) {
            cell.view?.destroy();
            this.cells.delete(cell.id);
          }
        }
        this.host.structureChanged();
        return;
      }
      case 'cell': return this.cellMessage(message.cell, message.message);
      case 'outputs': {
        const cell = this.cellOf(message.cell);
        cell.outputs = message.outputs;
        if (message.executionCount !== undefined) cell.executionCount = message.executionCount;
        this.host.outputsReplaced(cell);
        return;
      }
      case 'output': {
        const cell = this.cellOf(message.cell);
        if (message.index != cell.outputs.length) {
          this.socket.restart(4000, 'outputs out of order');
          return;
        }
        cell.outputs.push(message.output);
        this.host.outputAdded(cell, message.index);
        return;
      }
      case 'stream': {
        const cell = this.cellOf(message.cell);
        const output = cell.outputs[message.index];
        if (output?.output_type != 'stream') return;
        output.text += message.text;
        this.host.outputChanged(cell, message.index, message.text);
        return;
      }
      case 'replace': {
        const cell = this.cellOf(message.cell);
        cell.outputs[message.index] = message.output;
        this.host.outputChanged(cell, message.index, null);
        return;
      }
      case 'run': {
        const cell = this.cellOf(message.cell);
        cell.run = message.run;
        if (message.executionCount !== undefined) cell.executionCount = message.executionCount;
        else if (!message.run) cell.executionCount = null;
        this.host.runChanged(cell);
        return;
      }
      case 'kernel':
        this.kernel = message.kernel;
        this.host.kernelChanged(this.kernel);
        return;
      case 'rebuild':
        this.rebuild = message.cells;
        this.host.rebuildChanged(this.rebuild);
        return;
      case 'focus': {
        const { clientId, name, colour, cell } = message;
        if (cell) this.focus.set(clientId, { clientId, name, colour, cell });
        else this.focus.delete(message.clientId);
        this.host.presenceChanged(null);
        return;
      }
      case 'completion':
        this.host.completion(message.request, message.matches, message.from, message.to);
        return;
      case 'documentation':
        this.host.documentation(String(message.request), message.found === true, String(message.text ?? ''));
        return;
      case 'revoked':
      case 'closed':
        // The server closes the socket next (4403, 4404): no reconnect, whatever code it ends with.
        this.socket.close('ended by the server');
        this.welcomed = false;
        this.setStatus(message.type, message.message);
        return;
      case 'error':
        this.host.refused(message.code, message.message);
        return;
    }
  }

  private welcome(message: NotebookWelcome) {
    this.socket.connected();
    this.role = message.role;
    this.mayRun = message.mayRun;
    this.name = message.name;
    const entries: Entry[] = message.cells.map(c => ({ id: c.id, type: c.type, deleted: c.deleted }));
    this.structure.welcome(entries, message.version, message.accepted);
    for (const c of message.cells) {
      if (c.deleted) continue;
      const cell = this.cellOf(c.id);
      cell.outputs = c.outputs;
      cell.executionCount = c.executionCount;
      cell.run = c.run;
    }
    // Cells made here that the server does not know (yet): they stay while their insert is pending.
    const known = new Set(this.structure.shown().map(e => e.id));
    for (const id of [...this.cells.keys()]) {
      if (!known.has(id)) {
        this.cells.get(id)?.view?.destroy();
        this.cells.delete(id);
      }
    }
    this.kernel = message.kernel;
    this.rebuild = message.rebuild;
    this.focus = new Map(message.focus.map(f => [f.clientId, f]));
    this.welcomed = true;
    // Structure ops the server may not have: it ignores those it already applied (by their numbers).
    for (const p of this.structure.pending()) this.send({ type: 'structure', seq: p.seq, op: p.op });
    this.setStatus('connected', this.role == 'viewer' ? 'View only' : '');
    this.host.structureChanged();
    this.sendRuns();
    for (const cell of this.cells.values()) {
      this.host.outputsReplaced(cell);
      this.host.runChanged(cell);
    }
    this.host.kernelChanged(this.kernel);
    this.host.rebuildChanged(this.rebuild);
    this.host.presenceChanged(null);
  }

  private cellOf(id: string): CellState {
    let cell = this.cells.get(id);
    if (!cell) {
      cell = new CellState(id);
      this.cells.set(id, cell);
    }
    return cell;
  }

  /** The collab protocol of one cell's source (collab/PROTOCOL.md), wrapped in "cell" messages. */
  private cellMessage(id: string, message: CollabServerMessage) {
    const cell = this.cellOf(id);
    const view = cell.view;
    switch (message.type) {
      case 'welcome':
        if (cell.text == null) {
          if (!isTextWelcome(message)) {
            // Updates answer a hello that named the cell's version, which only a cell with its text does.
            console.warn('Kiln notebook cell', id, 'got updates before its text; ignored');
            return;
          }
          cell.text = message.text;
          cell.startVersion = message.version;
          this.host.cellReady(cell);
        } else if (view && !isTextWelcome(message)) {
          this.apply(cell, message.from, message.updates);
        } else if (view && isTextWelcome(message) && message.version > getSyncedVersion(view.state)) {
          this.resync(cell, message.text, message.version);
        }
        cell.joined = true;
        cell.pushing = false;
        this.flush(cell);
        return;
      case 'updates':
        if (!view) return;
        if (message.from == getSyncedVersion(view.state)) this.apply(cell, message.from, message.updates);
        else if (message.from > getSyncedVersion(view.state)) this.cellSend(id, { type: 'pull', version: getSyncedVersion(view.state) });
        return;
      case 'resync':
        if (view) this.resync(cell, message.text, message.version);
        return;
      case 'pushed':
        cell.pushing = false;
        if (!message.ok && message.reason == 'stale' && view) {
          // Based on a version the server no longer keeps: catch up first, then the flush after it sends again.
          this.cellSend(id, { type: 'pull', version: getSyncedVersion(view.state) });
          return;
        }
        this.flush(cell);
        this.sendRuns();
        return;
      case 'presence': {
        // Coalesced (collab/PROTOCOL.md): whole at first, then who joined, whose selection moved, and who left.
        const people = new Map<string, Presence>(message.full ? [] : cell.presence.map(p => [p.clientId, p]));
        for (const p of message.participants) {
          if (p.clientId == this.clientId) continue;
          const known = people.get(p.clientId);
          if (p.name !== undefined) people.set(p.clientId, { clientId: p.clientId, name: p.name, colour: p.colour ?? '#888', anchor: p.anchor, head: p.head });
          else if (known) people.set(p.clientId, { ...known, anchor: p.anchor, head: p.head });
        }
        for (const gone of message.left) people.delete(gone);
        cell.presence = [...people.values()];
        cell.presenceVersion = message.version;
        this.host.presenceChanged(cell);
        return;
      }
      case 'closed':
        cell.joined = false;
        return;
      case 'error':
        console.warn('Kiln notebook cell', id, message.code, message.message);
        return;
    }
  }

  /**
   * Applies updates one at a time, as the server rebases (collab/PROTOCOL.md: composing them first can place an
   * insertion differently). Known carets move with each, as the server leaves them to every client to map.
   */
  private apply(cell: CellState, from: number, json: UpdateJson[]) {
    const view = cell.view!;
    if (from != getSyncedVersion(view.state)) return;
    for (const update of parseUpdates(json)) {
      const at = getSyncedVersion(view.state);
      view.dispatch(receiveUpdates(view.state, [update]));
      if (cell.presenceVersion == at) {
        cell.presence = cell.presence.map(p => ({ ...p, anchor: update.changes.mapPos(p.anchor, 1), head: update.changes.mapPos(p.head, 1) }));
        cell.presenceVersion = at + 1;
      }
    }
    this.host.presenceChanged(cell);
    this.flush(cell);
    this.sendRuns();
  }

  /** The updates since our version are gone: start over from the server's text, keeping what was typed here. */
  private resync(cell: CellState, text: string, version: number) {
    const view = cell.view!;
    const mine = view.state.doc.toString();
    const pending = sendableUpdates(view.state).length > 0;
    cell.text = text;
    cell.startVersion = version;
    this.host.cellReady(cell);
    const fresh = cell.view;
    if (pending && fresh && mine != text) {
      let start = 0, endA = text.length, endB = mine.length;
      while (start < endA && start < endB && text[start] == mine[start]) start++;
      while (endA > start && endB > start && text[endA - 1] == mine[endB - 1]) { endA--; endB--; }
      fresh.dispatch({ changes: { from: start, to: endA, insert: mine.slice(start, endB) } });
    }
  }

  private cellSend(cell: string, message: CollabClientMessage) {
    this.send({ type: 'cell', cell, message });
  }

  private setStatus(status: ConnectionStatus, message: string) {
    this.status = status;
    this.host.statusChanged(status, message);
  }

  private send(message: NotebookClientMessage) {
    if (this.welcomed || message.type == 'hello') this.socket.send(JSON.stringify(message));
  }
}
