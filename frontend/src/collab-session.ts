import { ChangeSet, StateEffect, StateField, Text, EditorState, Extension, RangeSetBuilder } from '@codemirror/state';
import { EditorView, Decoration, DecorationSet, WidgetType } from '@codemirror/view';
import { collab, getSyncedVersion, receiveUpdates, sendableUpdates, Update } from '@codemirror/collab';

/** What the status bar shows. */
export type CollabStatus = 'connecting' | 'connected' | 'reconnecting' | 'offline' | 'revoked' | 'closed';

export interface Participant {
  clientId: string;
  name: string;
  colour: string;
  role: string;
  anchor: number;
  head: number;
}

/** What the session tells its editor. */
export interface CollabHost {
  /** The first text arrived: build the editor state around these extensions. */
  start(text: string, extensions: Extension, readOnly: boolean): void;
  view(): EditorView | undefined;
  statusChanged(status: CollabStatus, unsent: number, people: Participant[], message: string): void;
}

const setRemoteCursors = StateEffect.define<Participant[]>();

class CaretWidget extends WidgetType {
  constructor(readonly name: string, readonly colour: string) { super(); }
  eq(other: CaretWidget) { return other.name == this.name && other.colour == this.colour; }
  toDOM() {
    const caret = document.createElement('span');
    caret.className = 'kiln-remote-caret';
    caret.style.borderLeftColor = this.colour;
    const label = document.createElement('span');
    label.className = 'kiln-remote-name';
    label.style.background = this.colour;
    label.textContent = this.name;
    caret.appendChild(label);
    return caret;
  }
  ignoreEvent() { return true; }
}

/** Other people's cursors and selections, kept in place as the text changes under them. */
const remoteCursors = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(decorations, tr) {
    decorations = decorations.map(tr.changes);
    for (const effect of tr.effects) {
      if (effect.is(setRemoteCursors)) {
        const length = tr.state.doc.length;
        const ranges: { from: number; to: number; deco: Decoration }[] = [];
        for (const p of effect.value) {
          const head = Math.min(p.head, length), anchor = Math.min(p.anchor, length);
          const from = Math.min(head, anchor), to = Math.max(head, anchor);
          if (from < to) {
            ranges.push({ from, to, deco: Decoration.mark({ attributes: { style: `background-color: ${p.colour}33` } }) });
          }
          ranges.push({ from: head, to: head, deco: Decoration.widget({ widget: new CaretWidget(p.name, p.colour), side: 1 }) });
        }
        ranges.sort((a, b) => a.from - b.from || a.to - b.to);
        const builder = new RangeSetBuilder<Decoration>();
        for (const r of ranges) builder.add(r.from, r.to, r.deco);
        decorations = builder.finish();
      }
    }
    return decorations;
  },
  provide: f => EditorView.decorations.from(f),
});

const cursorTheme = EditorView.baseTheme({
  // Room above the first line for the name labels of cursors there.
  '.cm-content': { paddingTop: '14px' },
  '.kiln-remote-caret': { position: 'relative', borderLeft: '2px solid', marginLeft: '-1px', marginRight: '-1px' },
  '.kiln-remote-name': {
    position: 'absolute', top: '-1.3em', left: '-2px', fontSize: '10px', lineHeight: '1.3em', color: 'white',
    padding: '0 3px', borderRadius: '3px 3px 3px 0', whiteSpace: 'nowrap', pointerEvents: 'none', fontFamily: 'sans-serif',
  },
});

function parseUpdates(json: any[]): Update[] {
  return json.map(u => ({ changes: ChangeSet.fromJSON(u.changes), clientID: u.clientId }));
}

/**
 * One document edited together over Kiln's collab WebSocket (collab/PROTOCOL.md), with @codemirror/collab doing
 * the rebasing. It reconnects by itself, keeps typing local while offline, and sends what was typed on return.
 */
export class CollabSession {
  private ws?: WebSocket;
  private readonly clientId = 'c' + Math.random().toString(36).slice(2, 10) + Date.now().toString(36);
  private started = false;
  private pushing = false;
  private status: CollabStatus = 'connecting';
  private message = '';
  private people: Participant[] = [];
  private lastPresence?: { version: number; participants: Participant[] };
  private retryDelay = 500;
  private retryTimer?: number;
  private pingTimer?: number;
  private cursorTimer?: number;
  private stopped = false;
  private onSettled: (() => void)[] = [];

  constructor(private readonly url: string, private readonly host: CollabHost) {
    this.open();
    this.pingTimer = window.setInterval(() => this.send({ type: 'ping' }), 10_000);
  }

  /** The number of local changes the server has not confirmed yet. */
  unsent(): number {
    const view = this.host.view();
    return view && this.started ? sendableUpdates(view.state).length : 0;
  }

  /** Resolves once every local change is confirmed (or after the timeout, when offline). */
  settled(timeoutMs: number): Promise<boolean> {
    if (this.unsent() == 0) return Promise.resolve(true);
    return new Promise(resolve => {
      const timer = window.setTimeout(() => resolve(false), timeoutMs);
      this.onSettled.push(() => { window.clearTimeout(timer); resolve(true); });
    });
  }

  /** Extensions for the editor: call from the editor's update listener. */
  localUpdate(docChanged: boolean, selectionChanged: boolean) {
    if (docChanged) {
      this.flush();
      this.report();
    }
    if (docChanged || selectionChanged) this.scheduleCursor();
  }

  close() {
    this.stopped = true;
    window.clearInterval(this.pingTimer);
    window.clearTimeout(this.retryTimer);
    this.ws?.close(1000, 'closed by the editor');
  }

  private open() {
    const scheme = location.protocol == 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}${this.url}`);
    this.ws = ws;
    ws.onopen = () => {
      this.retryDelay = 500;
      const view = this.host.view();
      const hello: any = { type: 'hello', clientId: this.clientId };
      if (this.started && view) hello.version = getSyncedVersion(view.state);
      ws.send(JSON.stringify(hello));
    };
    ws.onmessage = event => this.receive(JSON.parse(event.data));
    ws.onclose = event => {
      if (this.ws !== ws) return;
      this.pushing = false;
      if (event.code == 4403) {
        this.setStatus('revoked', event.reason || 'Your access to this studio was revoked.');
      } else if (event.code == 4404) {
        this.setStatus('closed', event.reason || 'This document was closed on the server.');
      } else if (!this.stopped) {
        this.setStatus(navigator.onLine === false ? 'offline' : 'reconnecting', '');
        this.retryTimer = window.setTimeout(() => this.open(), this.retryDelay);
        this.retryDelay = Math.min(this.retryDelay * 2, 5000);
      }
    };
  }

  private receive(message: any) {
    const view = this.host.view();
    switch (message.type) {
      case 'welcome':
        if (!this.started) {
          const readOnly = message.role == 'viewer';
          this.started = true;
          this.host.start(message.text, [collab({ startVersion: message.version, clientID: this.clientId }), remoteCursors, cursorTheme], readOnly);
          this.setStatus('connected', readOnly ? 'View only' : '');
        } else if (view && message.updates) {
          this.apply(view, message.from, message.updates);
          this.setStatus('connected', this.message);
        } else if (view) {
          this.resync(view, message.text, message.version);
          this.setStatus('connected', this.message);
        }
        this.flush();
        this.scheduleCursor();
        break;
      case 'updates':
        if (view) {
          const version = getSyncedVersion(view.state);
          if (message.from == version) this.apply(view, message.from, message.updates);
          else if (message.from > version) this.send({ type: 'pull', version });
        }
        break;
      case 'resync':
        if (view) this.resync(view, message.text, message.version);
        break;
      case 'pushed':
        this.pushing = false;
        this.flush();
        break;
      case 'presence':
        this.lastPresence = { version: message.version, participants: message.participants };
        this.showPresence();
        break;
      case 'revoked':
      case 'closed':
        this.stopped = true;
        this.setStatus(message.type, message.message);
        break;
      case 'error':
        console.warn('Kiln collab:', message.code, message.message);
        break;
    }
  }

  private apply(view: EditorView, from: number, json: any[]) {
    if (from != getSyncedVersion(view.state)) return;
    view.dispatch(receiveUpdates(view.state, parseUpdates(json)));
    this.report();
    this.showPresence();
    this.flush();
  }

  /**
   * The server no longer keeps the updates since our version (we were away very long). Start from its text and
   * re-apply what we typed as one change, so nothing typed is dropped.
   */
  private resync(view: EditorView, text: string, version: number) {
    if (version <= getSyncedVersion(view.state)) return;
    const mine = view.state.doc.toString();
    const pending = sendableUpdates(view.state).length > 0;
    this.host.start(text, [collab({ startVersion: version, clientID: this.clientId }), remoteCursors, cursorTheme], view.state.readOnly);
    const fresh = this.host.view();
    if (pending && fresh && mine != text) {
      let start = 0, endA = text.length, endB = mine.length;
      while (start < endA && start < endB && text[start] == mine[start]) start++;
      while (endA > start && endB > start && text[endA - 1] == mine[endB - 1]) { endA--; endB--; }
      fresh.dispatch({ changes: { from: start, to: endA, insert: mine.slice(start, endB) } });
    }
    this.report();
  }

  private flush() {
    const view = this.host.view();
    if (!view || !this.started || this.pushing || this.ws?.readyState !== WebSocket.OPEN || this.status == 'revoked') return;
    const updates = sendableUpdates(view.state);
    if (!updates.length) return;
    this.pushing = true;
    this.send({
      type: 'push',
      version: getSyncedVersion(view.state),
      updates: updates.map(u => ({ clientId: u.clientID, changes: u.changes.toJSON() })),
    });
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

  private showPresence() {
    const view = this.host.view();
    if (!view || !this.lastPresence) return;
    this.people = this.lastPresence.participants;
    const others = this.people.filter(p => p.clientId != this.clientId);
    // Presence refers to the server's version; show it only when we are at that version with nothing pending.
    if (this.lastPresence.version == getSyncedVersion(view.state) && this.unsent() == 0) {
      view.dispatch({ effects: setRemoteCursors.of(others) });
    }
    this.report();
  }

  private setStatus(status: CollabStatus, message: string) {
    this.status = status;
    this.message = message;
    this.report();
  }

  private report() {
    const unsent = this.unsent();
    if (unsent == 0 && this.onSettled.length) {
      const waiting = this.onSettled;
      this.onSettled = [];
      waiting.forEach(f => f());
    }
    this.host.statusChanged(this.status, unsent, this.people, this.message);
  }

  private send(message: any) {
    if (this.ws?.readyState === WebSocket.OPEN) this.ws.send(JSON.stringify(message));
  }
}

/** Kept for callers that only need the text type. */
export type { Text, EditorState };
