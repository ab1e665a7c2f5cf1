import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { EditorState, Extension, Transaction, TransactionSpec } from '@codemirror/state';
import { CollabHost, CollabSession, CollabStatus, CollabView, Notice, Participant } from '../src/collab-session';
import { FakeServer, FakeSocket, installBrowser, settle } from './fake-browser';

const URL_PATH = '/collab/s1?path=notes.txt';
const LIMITS = { maxChangeChars: 1000, maxDocumentChars: 10_000, maxFrameBytes: 100_000 };

/** An editor as kiln-code-editor is one: a state the session starts, and every update reported back to it. */
class TestEditor implements CollabHost {
  session?: CollabSession;
  current?: TestView;
  status?: CollabStatus;
  unsent = 0;
  shown?: Notice;
  /** The names shown after each status report. */
  people: string[][] = [];

  start(text: string, extensions: Extension, readOnly: boolean) {
    this.current = new TestView(EditorState.create({ doc: text, extensions: [extensions, EditorState.readOnly.of(readOnly)] }), this);
  }
  view() { return this.current; }
  statusChanged(status: CollabStatus, unsent: number, people: Participant[]) {
    this.status = status;
    this.unsent = unsent;
    this.people.push(people.map(p => p.name));
  }
  notice(notice: Notice | undefined) { this.shown = notice; }

  text(): string { return this.current!.state.doc.toString(); }
  type(insert: string, at = this.current!.state.doc.length) {
    this.current!.dispatch({ changes: { from: at, insert }, selection: { anchor: at + insert.length } });
  }
}

class TestView implements CollabView {
  constructor(public state: EditorState, private readonly editor: TestEditor) {}
  dispatch(tr: Transaction): void;
  dispatch(trs: readonly Transaction[]): void;
  dispatch(...specs: TransactionSpec[]): void;
  dispatch(...input: (Transaction | readonly Transaction[] | TransactionSpec)[]): void {
    const first = input[0];
    const transactions: readonly Transaction[] = first instanceof Transaction ? [first]
      : Array.isArray(first) ? first : [this.state.update(...(input as TransactionSpec[]))];
    for (const tr of transactions) {
      this.state = tr.state;
      this.editor.session?.localUpdate(tr.docChanged, tr.selection !== undefined);
    }
  }
}

function welcomeText(text: string, version: number) {
  return { type: 'welcome', role: 'editor', name: 'Ada', colour: '#c62828', limits: LIMITS, version, text, accepted: 0 };
}

function pushes(socket: FakeSocket) {
  return socket.messages().filter(m => m.type == 'push');
}

describe('CollabSession', () => {
  let server: FakeServer;
  let editor: TestEditor;
  let sessions: CollabSession[];

  function open(): CollabSession {
    const session = new CollabSession(URL_PATH, editor, { connect: server.connect, signedIn: server.checkSignedIn });
    editor.session = session;
    sessions.push(session);
    return session;
  }

  /** The session's own client id, from its hello. */
  function clientId(socket: FakeSocket): string {
    return String(socket.last('hello')!.clientId);
  }

  beforeEach(() => {
    installBrowser();
    mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    server = new FakeServer();
    editor = new TestEditor();
    sessions = [];
  });
  afterEach(() => {
    sessions.forEach(s => s.close());
    mock.timers.reset();
    mock.restoreAll();
  });

  it('starts from the welcome text and pushes what is typed', () => {
    open();
    const socket = server.current();
    socket.accept();
    assert.deepEqual(Object.keys(socket.messages()[0]), ['type', 'clientId']); // a first hello names no version
    socket.receive(welcomeText('abc', 3));
    assert.equal(editor.text(), 'abc');
    assert.equal(editor.status, 'connected');
    editor.type('X');
    const push = pushes(socket)[0];
    assert.equal(push.version, 3);
    assert.deepEqual(push.updates, [{ clientId: clientId(socket), changes: [3, [0, 'X']] }]);
    assert.equal(editor.unsent, 1);
    socket.receive({ type: 'updates', from: 3, updates: [{ clientId: clientId(socket), changes: [3, [0, 'X']] }] });
    socket.receive({ type: 'pushed', ok: true, version: 4 });
    assert.equal(editor.unsent, 0);
  });

  it('after a lost connection, says hello with its version and sends again only what the server did not get', () => {
    open();
    const first = server.current();
    first.accept();
    first.receive(welcomeText('abc', 3));
    const me = clientId(first);
    editor.type('Y');
    assert.equal(pushes(first).length, 1);
    first.drop(); // the push's answer never came
    assert.equal(editor.status, 'reconnecting');
    editor.type('Z'); // typed while offline: kept
    assert.equal(editor.unsent, 2);
    mock.timers.tick(500);
    const second = server.current();
    assert.notEqual(second, first);
    second.accept();
    assert.deepEqual(second.last('hello'), { type: 'hello', clientId: me, version: 3 });
    // The server had accepted Y before the connection went: its welcome brings it back as ours.
    second.receive({ type: 'welcome', role: 'editor', limits: LIMITS, from: 3, updates: [{ clientId: me, changes: [3, [0, 'Y']] }] });
    const resent = pushes(second);
    assert.equal(resent.length, 1);
    assert.equal(resent[0].version, 4);
    assert.deepEqual(resent[0].updates, [{ clientId: me, changes: [4, [0, 'Z']] }]);
    assert.equal(editor.text(), 'abcYZ');
  });

  it('rebases what was typed offline over what others did meanwhile', () => {
    open();
    const first = server.current();
    first.accept();
    first.receive(welcomeText('abc', 3));
    const me = clientId(first);
    first.drop();
    editor.type('!'); // at the end, offline
    mock.timers.tick(500);
    const second = server.current();
    second.accept();
    second.receive({ type: 'welcome', role: 'editor', limits: LIMITS, from: 3, updates: [{ clientId: 'other', changes: [[0, 'Q'], 3] }] });
    assert.equal(editor.text(), 'Qabc!');
    const push = pushes(second)[0];
    assert.equal(push.version, 4);
    assert.deepEqual(push.updates, [{ clientId: me, changes: [4, [0, '!']] }]);
  });

  it('keeps unsent changes across a reload of the page and sends them after the welcome', () => {
    const before = open();
    const first = server.current();
    first.accept();
    first.receive(welcomeText('abc', 3));
    first.drop();
    editor.type('kept');
    before.close(); // the page goes: the unsent change is kept in sessionStorage
    editor = new TestEditor();
    open();
    const second = server.current();
    second.accept();
    second.receive(welcomeText('abc', 3));
    assert.equal(editor.text(), 'abckept');
    const push = pushes(second)[0];
    assert.equal(push.version, 3);
    assert.deepEqual(push.updates, [{ clientId: clientId(second), changes: [3, [0, 'kept']] }]);
  });

  it('stops and says so when the sign-in session ended, counting what is kept', async () => {
    open();
    const first = server.current();
    first.accept();
    first.receive(welcomeText('abc', 3));
    first.drop();
    editor.type('1');
    mock.timers.tick(500);
    server.signedIn = false;
    server.current().drop(); // the handshake failed (a 401 the browser cannot see)
    await settle();
    mock.timers.tick(60_000);
    assert.equal(server.sockets.length, 2);
    assert.equal(editor.status, 'signed-out');
    assert.match(editor.shown!.text, /Your 1 unsent change is kept in this tab/);
  });

  it('ignores a malformed message, says so in the console, and goes on', () => {
    const warn = mock.method(console, 'warn', () => {});
    open();
    const socket = server.current();
    socket.accept();
    socket.receive('not json');
    socket.receive({ type: 'welcome', role: 'editor', version: 'three', text: 'abc' });
    assert.equal(editor.current, undefined);
    socket.receive(welcomeText('abc', 3));
    assert.equal(editor.text(), 'abc');
    socket.receive({ type: 'updates', from: 3, updates: [{ changes: [3, [0, 'x']] }] }); // no clientId
    assert.equal(editor.text(), 'abc');
    assert.deepEqual(warn.mock.calls.map(c => c.arguments[1]), [
      'not JSON', 'message.version is not a number', 'message.updates[0].clientId is not a string',
    ]);
  });

  it('does not send a change over the server\'s limit: it offers it as a download and starts over', () => {
    open();
    const first = server.current();
    first.accept();
    first.receive(welcomeText('abc', 3));
    editor.type('x'.repeat(LIMITS.maxChangeChars + 1));
    assert.equal(pushes(first).length, 0);
    assert.match(editor.shown!.text, /Not saved: A change inserts 1001 characters; the limit is 1000/);
    assert.equal(editor.shown!.actions[0].label, 'Download your version');
    assert.deepEqual(first.closedWith?.reason, 'starting over after a refused change');
    const second = server.current();
    assert.notEqual(second, first);
    second.accept();
    assert.equal(second.last('hello')!.version, undefined); // from the server's text again
  });

  it('shows other people\'s presence and drops those who left', () => {
    open();
    const socket = server.current();
    socket.accept();
    socket.receive(welcomeText('abc', 3));
    socket.receive({ type: 'presence', version: 3, full: true, left: [], participants: [
      { clientId: 'b', name: 'Bo', colour: '#00f', role: 'editor', anchor: 1, head: 1 },
      { clientId: 'c', name: 'Cy', colour: '#0f0', role: 'viewer', anchor: 0, head: 2 },
    ] });
    socket.receive({ type: 'presence', version: 3, participants: [{ clientId: 'b', anchor: 2, head: 2 }], left: ['c'] });
    assert.deepEqual(editor.people.at(-2), ['Bo', 'Cy']);
    assert.deepEqual(editor.people.at(-1), ['Bo']);
  });
});
