import { ChangeSet, StateEffect, StateField, Text, EditorState, Extension, RangeSetBuilder, Transaction } from '@codemirror/state';
import { EditorView, Decoration, DecorationSet, WidgetType } from '@codemirror/view';
import { collab, getSyncedVersion, receiveUpdates, sendableUpdates, Update } from '@codemirror/collab';
import { CollabClientMessage, CollabServerMessage, Limits, ParticipantJson, UpdateJson, isTextWelcome, parseCollabMessage } from './protocol/collab';
import { ReconnectOptions, ReconnectingSocket } from './reconnect';

/** What the status bar shows. */
export type CollabStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'revoked' | 'closed' | 'signed-out';

export interface Participant {
  clientId: string;
  name: string;
  colour: string;
  role: string;
  anchor: number;
  head: number;
}

/** Something the person must see and may act on (a refused change, a session that ended). */
export interface Notice {
  text: string;
  actions: { label: string; run?: () => void; href?: string; download?: string }[];
}

/** What the session needs of the editor's view: its state, and applying changes to it. */
export type CollabView = Pick<EditorView, 'state' | 'dispatch'>;

/** What the session tells its editor. */
export interface CollabHost {
  /** The first text arrived: build the editor state around these extensions. */
  start(text: string, extensions: Extension, readOnly: boolean): void;
  view(): CollabView | undefined;
  statusChanged(status: CollabStatus, unsent: number, people: Participant[], message: string): void;
  /** Shows a notice above the editor, or clears it. */
  notice(notice: Notice | undefined): void;
}

/** Unsent changes kept in the tab's sessionStorage, so a reload or a sign-in does not lose them. */
interface Stash { clientId: string; version: number; changes: unknown[]; text: string | null; at: number; }

/** Who is where, in the local document: changed entries replace, moves keep the name, `left` removes. */
interface PresenceChange { full: boolean; participants: ParticipantJson[]; left: string[]; }

const setRemoteCursors = StateEffect.define<PresenceChange>();

/** Someone else's cursor: a coloured bar with their name; the class names are the styling host's. */
export class CaretWidget extends WidgetType {
  constructor(readonly name: string, readonly colour: string,
              readonly classes = { caret: 'kiln-remote-caret', label: 'kiln-remote-name' }) { super(); }
  eq(other: CaretWidget) { return other.name == this.name && other.colour == this.colour; }
  toDOM() {
    const caret = document.createElement('span');
    caret.className = this.classes.caret;
    caret.style.borderLeftColor = this.colour;
    const label = document.createElement('span');
    label.className = this.classes.label;
    label.style.background = this.colour;
    label.textContent = this.name;
    caret.appendChild(label);
    return caret;
  }
  ignoreEvent() { return true; }
}

interface Cursors { people: Map<string, Participant>; decorations: DecorationSet; }

function decorate(people: Map<string, Participant>, length: number): DecorationSet {
  const ranges: { from: number; to: number; deco: Decoration }[] = [];
  for (const p of people.values()) {
    const head = Math.min(p.head, length), anchor = Math.min(p.anchor, length);
    const from = Math.min(head, anchor), to = Math.max(head, anchor);
    if (from < to) ranges.push({ from, to, deco: Decoration.mark({ attributes: { style: `background-color: ${p.colour}33` } }) });
    ranges.push({ from: head, to: head, deco: Decoration.widget({ widget: new CaretWidget(p.name, p.colour), side: 1 }) });
  }
  ranges.sort((a, b) => a.from - b.from || a.to - b.to);
  const builder = new RangeSetBuilder<Decoration>();
  for (const r of ranges) builder.add(r.from, r.to, r.deco);
  return builder.finish();
}

/**
 * Other people's cursors and selections. Positions are mapped through every change, as the server maps them (after
 * an insertion at the same place), so only selections that really moved need to be sent.
 */
const remoteCursors = StateField.define<Cursors>({
  create: () => ({ people: new Map(), decorations: Decoration.none }),
  update(value, tr) {
    let people = value.people;
    let changed = false;
    if (tr.docChanged) {
      people = new Map();
      for (const [id, p] of value.people) {
        people.set(id, { ...p, anchor: tr.changes.mapPos(p.anchor, 1), head: tr.changes.mapPos(p.head, 1) });
      }
      changed = true;
    }
    for (const effect of tr.effects) {
      if (!effect.is(setRemoteCursors)) continue;
      const next: Map<string, Participant> = effect.value.full ? new Map() : new Map(people);
      for (const p of effect.value.participants) {
        const known = next.get(p.clientId) ?? people.get(p.clientId);
        const participant = merged(known, p);
        if (participant) next.set(p.clientId, participant);
      }
      for (const id of effect.value.left) next.delete(id);
      people = next;
      changed = true;
    }
    return changed ? { people, decorations: decorate(people, tr.state.doc.length) } : value;
  },
  provide: f => EditorView.decorations.from(f, v => v.decorations),
});

/** A participant from presence over what was known of them; undefined for a move of someone not known yet. */
function merged(known: Participant | undefined, p: ParticipantJson): Participant | undefined {
  const name = p.name ?? known?.name, colour = p.colour ?? known?.colour;
  if (name === undefined || colour === undefined) return undefined;
  return { clientId: p.clientId, name, colour, role: p.role ?? known?.role ?? '', anchor: p.anchor, head: p.head };
}

const cursorTheme = EditorView.baseTheme({
  // Room above the first line for the name labels of cursors there.
  '.cm-content': { paddingTop: '14px' },
  '.kiln-remote-caret': { position: 'relative', borderLeft: '2px solid', marginLeft: '-1px', marginRight: '-1px' },
  '.kiln-remote-name': {
    position: 'absolute', top: '-1.3em', left: '-2px', fontSize: '10px', lineHeight: '1.3em', color: 'white',
    padding: '0 3px', borderRadius: '3px 3px 3px 0', whiteSpace: 'nowrap', pointerEvents: 'none', fontFamily: 'sans-serif',
  },
});

function parseUpdates(json: UpdateJson[]): Update[] {
  return json.map(u => ({ changes: ChangeSet.fromJSON(u.changes), clientID: u.clientId }));
}

/**
 * Applies updates from the server one at a time. The server rebases a push over what it accepted since, update by
 * update, so a client must walk the same steps: @codemirror/collab's receiveUpdates composes several updates into
 * one change first, and mapping over a composition can order an insertion differently (the copies would differ).
 */
function receiveInTurn(state: EditorState, updates: Update[]): Transaction[] {
  const transactions: Transaction[] = [];
  for (const update of updates) {
    const tr = receiveUpdates(state, [update]);
    transactions.push(tr);
    state = tr.state;
  }
  return transactions;
}

/** Moves `changes` (based on some version) over `updates` (accepted since), dropping those of `own` already among them. */
function rebaseOver(changes: ChangeSet[], updates: Update[], own: string): ChangeSet[] {
  let pending = changes;
  for (const update of updates) {
    if (update.clientID == own && pending.length) { pending = pending.slice(1); continue; }
    let theirs = update.changes;
    pending = pending.map(mine => {
      const moved = mine.map(theirs);
      theirs = theirs.map(mine, true);
      return moved;
    });
  }
  return pending;
}

const UNSENT_KEPT_CHARS = 2_000_000;

/**
 * One document edited together over Kiln's collab WebSocket (collab/PROTOCOL.md), with @codemirror/collab keeping
 * the unconfirmed changes. It reconnects by itself, keeps typing local while offline, and sends what was typed on
 * return. Unsent changes are also kept in the tab's sessionStorage: after a reload, a server restart that reloads
 * the page, or signing in again, they are rebased over what others did meanwhile and sent. A change the server
 * refuses (too large) is taken out, shown with its reason and offered as a download; the editor goes on.
 */
export class CollabSession {
  private readonly socket: ReconnectingSocket;
  private readonly clientId = 'c' + Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
  private readonly stashKey: string;
  private started = false;
  private pushing = false;
  private status: CollabStatus = 'connecting';
  private message = '';
  private people = new Map<string, Participant>();
  private limits: Limits = { maxChangeChars: 1 << 20, maxDocumentChars: 16 << 20, maxFrameBytes: 4 << 20 };
  private restoring?: Stash;
  private pingTimer?: number;
  private cursorTimer?: number;
  private onSettled: (() => void)[] = [];
  private refusedDownload?: string;
  private keepTimer?: number;
  private readonly onPageHide = () => this.keep();

  constructor(private readonly url: string, private readonly host: CollabHost, options: ReconnectOptions = {}) {
    this.stashKey = 'kiln-collab-unsent:' + url;
    this.restoring = this.readStash();
    window.addEventListener('pagehide', this.onPageHide);
    this.socket = new ReconnectingSocket(url, {
      opened: () => this.hello(),
      received: data => this.receive(data),
      lost: () => {
        this.pushing = false;
        this.setStatus(navigator.onLine === false ? 'offline' : 'reconnecting', '');
      },
      ended: (code, reason) => {
        this.pushing = false;
        if (code == 4403) this.setStatus('revoked', reason || 'Your access to this studio was revoked.');
        else this.setStatus('closed', reason || 'This document was closed on the server.');
      },
      signedOut: () => this.signedOut(),
    }, options);
    this.socket.open();
    this.pingTimer = window.setInterval(() => this.send({ type: 'ping' }), 10_000);
  }

  /** The number of local changes the server has not confirmed yet. */
  unsent(): number {
    const view = this.host.view();
    return view && this.started ? sendableUpdates(view.state).length : 0;
  }

  /** Resolves once every local change is confirmed (or after the timeout, when offline). */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.unsent() == 0 && !this.restoring) return Promise.resolve(true);
    return new Promise(resolve => {
      const timer = window.setTimeout(() => resolve(false), timeoutMs);
      this.onSettled.push(() => { window.clearTimeout(timer); resolve(true); });
    });
  }

  /** Call from the editor's update listener. */
  localUpdate(docChanged: boolean, selectionChanged: boolean) {
    if (docChanged) {
      this.keepSoon();
      this.flush();
      this.report();
    }
    if (docChanged || selectionChanged) this.scheduleCursor();
  }

  close() {
    this.keep();
    window.removeEventListener('pagehide', this.onPageHide);
    window.clearInterval(this.pingTimer);
    window.clearTimeout(this.keepTimer);
    this.socket.close('closed by the editor');
    if (this.refusedDownload) URL.revokeObjectURL(this.refusedDownload);
  }

  private hello() {
    const view = this.host.view();
    this.send({ type: 'hello', clientId: this.clientId, version: this.started && view ? getSyncedVersion(view.state) : undefined });
  }

  private signedOut() {
    this.keep();
    const unsent = this.unsent();
    const kept = unsent == 0 ? '' : unsent == 1 ? ' Your 1 unsent change is kept in this tab and sent once you are back.'
      : ` Your ${unsent} unsent changes are kept in this tab and sent once you are back.`;
    this.setStatus('signed-out', 'Signed out');
    this.host.notice({
      text: 'Your session has ended.' + kept,
      // Reloading this page leads to the sign-in page and, once signed in, back here, where the kept changes go out.
      actions: [{ label: 'Sign in again', run: () => location.reload() }],
    });
  }

  private receive(data: string) {
    const parsed = parseCollabMessage(data);
    if (!parsed.ok) {
      console.warn('Kiln collab: ignored a malformed message:', parsed.problem);
      return;
    }
    this.handle(parsed.message);
  }

  private handle(message: CollabServerMessage) {
    const view = this.host.view();
    switch (message.type) {
      case 'welcome':
        this.socket.connected();
        if (message.limits) this.limits = message.limits;
        if (!this.started) {
          if (!isTextWelcome(message)) {
            // Only a hello with a version gets updates, and one is sent only once started.
            console.warn('Kiln collab: a welcome with updates before the text; starting over');
            this.socket.restart(4000, 'welcome without text');
            return;
          }
          const readOnly = message.role == 'viewer';
          this.started = true;
          this.host.start(message.text, this.extensions(message.version), readOnly);
          this.setStatus('connected', readOnly ? 'View only' : '');
          const fresh = this.host.view();
          if (!this.restoring || readOnly || !fresh) this.restoring = undefined;
          else if (this.restoring.version == message.version) this.restore(fresh, []);
          else if (this.restoring.version < message.version) this.send({ type: 'pull', version: this.restoring.version });
          else this.cannotRestore(fresh);
        } else if (view) {
          if (isTextWelcome(message)) this.resync(view, message.text, message.version);
          else this.apply(view, message.from, message.updates);
          this.setStatus('connected', this.message);
        }
        this.flush();
        this.scheduleCursor();
        break;
      case 'updates':
        if (view) {
          const version = getSyncedVersion(view.state);
          if (this.restoring && message.from == this.restoring.version && message.from < version) {
            this.restore(view, message.updates);
          } else if (message.from == version) {
            this.apply(view, message.from, message.updates);
          } else if (message.from > version) {
            this.send({ type: 'pull', version });
          }
        }
        break;
      case 'resync':
        if (this.restoring && view) this.cannotRestore(view);
        else if (view) this.resync(view, message.text, message.version);
        break;
      case 'pushed':
        this.pushing = false;
        if (!message.ok && message.reason == 'refused' && view) {
          this.refuse(view, message.message);
        } else if (!message.ok && message.reason == 'stale' && view) {
          this.send({ type: 'pull', version: getSyncedVersion(view.state) });
        } else {
          this.flush();
        }
        break;
      case 'presence':
        this.presence(message);
        break;
      case 'revoked':
      case 'closed':
        // The server closes the socket next (4403, 4404): no reconnect, whatever code it ends with.
        this.socket.close('ended by the server');
        this.setStatus(message.type, message.message);
        break;
      case 'error':
        console.warn('Kiln collab:', message.code, message.message);
        break;
    }
  }

  private extensions(version: number): Extension {
    return [collab({ startVersion: version, clientID: this.clientId }), remoteCursors, cursorTheme];
  }

  private apply(view: CollabView, from: number, json: UpdateJson[]) {
    if (from != getSyncedVersion(view.state)) return;
    const transactions = receiveInTurn(view.state, parseUpdates(json));
    if (transactions.length) view.dispatch(transactions);
    this.keepSoon();
    this.report();
    this.flush();
  }

  /**
   * Changes kept from before a reload: `updates` are what the server accepted since they were made. Those of the
   * old tab that made it are dropped; the rest are moved over everyone else's and typed in again, as pending changes
   * of this session, which sends them.
   */
  private restore(view: CollabView, json: UpdateJson[]) {
    const stash = this.restoring!;
    this.restoring = undefined;
    const synced = getSyncedVersion(view.state);
    const seen = parseUpdates(json).slice(0, synced - stash.version);
    const changes = rebaseOver(stash.changes.map(c => ChangeSet.fromJSON(c)), seen, stash.clientId);
    // This session's own unsent changes (typed since the page opened) are already on screen: move over them too.
    const typedHere = sendableUpdates(view.state).map(u => ({ changes: u.changes, clientID: '' }));
    for (const change of rebaseOver(changes, typedHere, '-')) {
      view.dispatch({ changes: change, annotations: Transaction.addToHistory.of(false) });
    }
    this.keep();
    this.flush();
    this.report();
  }

  /** The kept changes are older than what the server still has: offer the text they made as a download. */
  private cannotRestore(view: CollabView) {
    const stash = this.restoring!;
    this.restoring = undefined;
    this.clearStash();
    if (stash.text != null) {
      this.offerDownload('Changes kept from before the page was reloaded are too old to merge into the current text.',
        stash.text);
    }
    this.report();
  }

  /**
   * The server refused a push (for example a paste over the size limit). What this tab had unsent leaves the queue
   * and is offered as a download of the text it made; the editor starts again from the server's text.
   */
  private refuse(view: CollabView, reason: string) {
    const mine = view.state.doc.toString();
    this.clearStash();
    this.offerDownload('Not saved: ' + reason, mine);
    this.started = false;
    this.pushing = false;
    this.setStatus('connecting', '');
    this.socket.open('starting over after a refused change');
  }

  private offerDownload(text: string, content: string) {
    if (this.refusedDownload) URL.revokeObjectURL(this.refusedDownload);
    this.refusedDownload = URL.createObjectURL(new Blob([content], { type: 'text/plain' }));
    const name = decodeURIComponent((this.url.split('path=')[1] || 'file').split('&')[0]).split('/').pop() || 'file';
    this.host.notice({
      text: text + ' The editor shows the text as saved on the server; your version is kept for you.',
      actions: [
        { label: 'Download your version', href: this.refusedDownload, download: name },
        { label: 'Dismiss', run: () => this.host.notice(undefined) },
      ],
    });
  }

  /**
   * The server no longer keeps the updates since our version (we were away very long). Start from its text and
   * re-apply what we typed as one change, so nothing typed is dropped.
   */
  private resync(view: CollabView, text: string, version: number) {
    if (version <= getSyncedVersion(view.state)) return;
    const mine = view.state.doc.toString();
    const pending = sendableUpdates(view.state).length > 0;
    this.host.start(text, this.extensions(version), view.state.readOnly);
    const fresh = this.host.view();
    if (pending && fresh && mine != text) {
      let start = 0, endA = text.length, endB = mine.length;
      while (start < endA && start < endB && text[start] == mine[start]) start++;
      while (endA > start && endB > start && text[endA - 1] == mine[endB - 1]) { endA--; endB--; }
      fresh.dispatch({ changes: { from: start, to: endA, insert: mine.slice(start, endB) } });
    }
    this.keep();
    this.report();
  }

  private flush() {
    const view = this.host.view();
    if (!view || !this.started || this.restoring || this.pushing || !this.socket.isOpen()
      || this.status == 'revoked') return;
    const updates = sendableUpdates(view.state);
    if (!updates.length) return;
    // Send as many pending changes as fit in a frame; a single change that does not fit is refused here, with the
    // same message the server would give, instead of closing the connection.
    const sent: UpdateJson[] = [];
    let size = 64;
    let length = updates[0].changes.length;
    for (const u of updates) {
      const changes = u.changes.toJSON();
      const bytes = JSON.stringify(changes).length + 40;
      const inserted = u.changes.newLength - u.changes.length + deletedLength(u.changes);
      if (inserted > this.limits.maxChangeChars) {
        return this.refuse(view, `A change inserts ${inserted} characters; the limit is ${this.limits.maxChangeChars}.`);
      }
      length = u.changes.newLength;
      if (length > this.limits.maxDocumentChars) {
        return this.refuse(view, `The document would grow to ${length} characters; the limit is ${this.limits.maxDocumentChars}.`);
      }
      if (size + bytes > this.limits.maxFrameBytes) {
        if (!sent.length) return this.refuse(view, `A change is ${bytes} bytes as sent; the limit is ${this.limits.maxFrameBytes}.`);
        break;
      }
      size += bytes;
      sent.push({ clientId: u.clientID, changes });
    }
    this.pushing = true;
    this.send({ type: 'push', version: getSyncedVersion(view.state), updates: sent });
  }

  private scheduleCursor() {
    window.clearTimeout(this.cursorTimer);
    this.cursorTimer = window.setTimeout(() => {
      const view = this.host.view();
      // Positions are meaningful to others only when they refer to a version the server has.
      if (!view || !this.started || this.unsent() > 0) return;
      const range = view.state.selection.main;
      this.send({ type: 'cursor', version: getSyncedVersion(view.state), anchor: range.anchor, head: range.head });
    }, 40);
  }

  /** A presence message: whole (after the welcome) or what changed. Positions are at the server's `version`. */
  private presence(message: Extract<CollabServerMessage, { type: 'presence' }>) {
    const change: PresenceChange = { full: message.full, participants: message.participants, left: message.left };
    if (change.full) this.people = new Map();
    for (const p of change.participants) {
      const participant = merged(this.people.get(p.clientId), p);
      if (participant) this.people.set(p.clientId, participant);
    }
    for (const id of change.left) this.people.delete(id);
    const view = this.host.view();
    if (view && this.started && message.version == getSyncedVersion(view.state)) {
      // Our unsent changes are not in the server's text yet: carry the positions over them.
      const pending = sendableUpdates(view.state);
      const others = change.participants.filter(p => p.clientId != this.clientId).map(p => {
        let anchor = p.anchor, head = p.head;
        for (const u of pending) { anchor = u.changes.mapPos(anchor, 1); head = u.changes.mapPos(head, 1); }
        return { ...p, anchor, head };
      });
      view.dispatch({ effects: setRemoteCursors.of({ full: change.full, participants: others, left: change.left }) });
    }
    this.report();
  }

  /** Keeps the unsent changes soon: at most every 300 ms while typing (and at once when the page goes away). */
  private keepSoon() {
    if (this.keepTimer === undefined) {
      this.keepTimer = window.setTimeout(() => { this.keepTimer = undefined; this.keep(); }, 300);
    }
  }

  /** Keeps the unsent changes in sessionStorage (or forgets them once none are left). */
  private keep() {
    const view = this.host.view();
    if (!view || !this.started || this.restoring) return;
    const pending = sendableUpdates(view.state);
    if (!pending.length) return this.clearStash();
    const doc = view.state.doc;
    const stash: Stash = {
      clientId: this.clientId, version: getSyncedVersion(view.state), changes: pending.map(u => u.changes.toJSON()),
      text: doc.length <= UNSENT_KEPT_CHARS ? doc.toString() : null, at: Date.now(),
    };
    try {
      sessionStorage.setItem(this.stashKey, JSON.stringify(stash));
    } catch {
      // Storage full: the changes stay in memory and are still sent.
    }
  }

  private readStash(): Stash | undefined {
    try {
      const raw = sessionStorage.getItem(this.stashKey);
      const stash = raw ? JSON.parse(raw) as Stash : undefined;
      return stash && Array.isArray(stash.changes) && stash.changes.length ? stash : undefined;
    } catch {
      return undefined;
    }
  }

  private clearStash() {
    try { sessionStorage.removeItem(this.stashKey); } catch { /* nothing kept */ }
  }

  private setStatus(status: CollabStatus, message: string) {
    this.status = status;
    this.message = message;
    this.report();
  }

  private report() {
    const unsent = this.unsent() + (this.restoring ? this.restoring.changes.length : 0);
    if (unsent == 0 && this.onSettled.length) {
      const waiting = this.onSettled;
      this.onSettled = [];
      waiting.forEach(f => f());
    }
    this.host.statusChanged(this.status, unsent, [...this.people.values()], this.message);
  }

  private send(message: CollabClientMessage) {
    this.socket.send(JSON.stringify(message));
  }
}

/** How many characters a change removes (what it inserts is its new length minus its length plus this). */
function deletedLength(changes: ChangeSet): number {
  let deleted = 0;
  changes.iterChangedRanges((fromA, toA) => { deleted += toA - fromA; });
  return deleted;
}

/** Kept for callers that only need the text type. */
export type { Text, EditorState };
