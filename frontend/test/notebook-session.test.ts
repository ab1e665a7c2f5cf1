import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { CellState, ConnectionStatus, KernelInfo, NotebookHost, NotebookSession } from '../src/notebook-session';
import { FakeServer, FakeSocket, installBrowser } from './fake-browser';

const KERNEL = { state: 'idle', spec: 'java', displayName: 'Java', language: 'java', detail: null, specs: [] };

/** Records what the element would redraw. */
class TestNotebook implements NotebookHost {
  events: string[] = [];
  status?: ConnectionStatus;
  statusMessage = '';
  structureChanged() { this.events.push('structure'); }
  cellReady(cell: CellState) { this.events.push('ready ' + cell.id); }
  outputsReplaced(cell: CellState) { this.events.push(`outputs ${cell.id} ${cell.outputs.length}`); }
  outputAdded(cell: CellState, index: number) { this.events.push(`added ${cell.id} ${index}`); }
  outputChanged(cell: CellState, index: number, appended: string | null) { this.events.push(`changed ${cell.id} ${index} ${appended}`); }
  runChanged(cell: CellState) { this.events.push(`run ${cell.id} ${cell.run?.state ?? 'none'}`); }
  kernelChanged(kernel: KernelInfo) { this.events.push('kernel ' + kernel.state); }
  rebuildChanged(cells: string[]) { this.events.push('rebuild ' + cells.join(',')); }
  statusChanged(status: ConnectionStatus, message: string) { this.status = status; this.statusMessage = message; }
  presenceChanged() {}
  completion() {}
  documentation() {} // wip/nb's Shift+Tab documentation (NotebookHost.documentation once merged)
  refused(code: string, message: string) { this.events.push(`refused ${code} ${message}`); }
}

function welcome(cells: object[], extra: object = {}) {
  return { type: 'welcome', role: 'editor', mayRun: true, name: 'Ada', colour: '#c62828', version: cells.length, accepted: 0,
    cells, kernel: KERNEL, rebuild: [], metadata: {}, focus: [], ...extra };
}

const code = (id: string, outputs: object[] = []) => ({ id, type: 'code', outputs, executionCount: null });

describe('NotebookSession', () => {
  let server: FakeServer;
  let host: TestNotebook;
  let sessions: NotebookSession[];
  let socket: FakeSocket;

  function open(): NotebookSession {
    const session = new NotebookSession('/notebook/s1?path=a.ipynb', host, { connect: server.connect, signedIn: server.checkSignedIn });
    sessions.push(session);
    socket = server.current();
    socket.accept();
    return session;
  }

  beforeEach(() => {
    installBrowser();
    mock.timers.enable({ apis: ['setTimeout', 'setInterval'] });
    server = new FakeServer();
    host = new TestNotebook();
    sessions = [];
  });
  afterEach(() => {
    sessions.forEach(s => s.close());
    mock.timers.reset();
    mock.restoreAll();
  });

  it('assembles outputs as they stream in: text appended to its stream, a display replaced in place', () => {
    const session = open();
    socket.receive(welcome([code('c1')]));
    socket.receive({ type: 'outputs', cell: 'c1', outputs: [], executionCount: null });
    socket.receive({ type: 'output', cell: 'c1', index: 0, output: { output_type: 'stream', name: 'stdout', text: 'epoch 1\n' } });
    socket.receive({ type: 'stream', cell: 'c1', index: 0, text: 'epoch 2\n' });
    socket.receive({ type: 'output', cell: 'c1', index: 1, output: { output_type: 'display_data', data: { 'text/plain': '10%' }, metadata: {} } });
    socket.receive({ type: 'replace', cell: 'c1', index: 1, output: { output_type: 'display_data', data: { 'text/plain': '100%' }, metadata: {} } });
    const outputs = session.cells.get('c1')!.outputs;
    assert.deepEqual(outputs, [
      { output_type: 'stream', name: 'stdout', text: 'epoch 1\nepoch 2\n' },
      { output_type: 'display_data', data: { 'text/plain': '100%' }, metadata: {}, execution_count: null },
    ]);
    assert.deepEqual(host.events.filter(e => /^(added|changed)/.test(e)), [
      'added c1 0', 'changed c1 0 epoch 2\n', 'added c1 1', 'changed c1 1 null',
    ]);
  });

  it('clears outputs when the server replaces them with none (a new run, clear_output)', () => {
    const session = open();
    socket.receive(welcome([code('c1', [{ output_type: 'stream', name: 'stdout', text: 'old' }])]));
    assert.equal(session.cells.get('c1')!.outputs.length, 1);
    socket.receive({ type: 'outputs', cell: 'c1', outputs: [], executionCount: 4 });
    assert.deepEqual(session.cells.get('c1')!.outputs, []);
    assert.equal(session.cells.get('c1')!.executionCount, 4);
  });

  it('starts the connection over when an output arrives out of order, and gets the notebook anew', () => {
    const session = open();
    socket.receive(welcome([code('c1')]));
    socket.receive({ type: 'output', cell: 'c1', index: 1, output: { output_type: 'stream', name: 'stdout', text: 'x' } });
    assert.deepEqual(session.cells.get('c1')!.outputs, []);
    assert.deepEqual(socket.closedWith, { code: 4000, reason: 'outputs out of order' });
    return Promise.resolve().then(() => {
      assert.equal(host.status, 'reconnecting');
      mock.timers.tick(500);
      assert.equal(server.sockets.length, 2);
    });
  });

  it('ignores stream text for an output that is not a stream', () => {
    const session = open();
    socket.receive(welcome([code('c1', [{ output_type: 'display_data', data: { 'text/plain': 'x' }, metadata: {} }])]));
    socket.receive({ type: 'stream', cell: 'c1', index: 0, text: 'more' });
    assert.deepEqual(session.cells.get('c1')!.outputs[0], { output_type: 'display_data', data: { 'text/plain': 'x' }, metadata: {}, execution_count: null });
  });

  it('shows structure ops at once and sends them again after a reconnect until the server has them', () => {
    const session = open();
    socket.receive(welcome([code('a'), code('b')]));
    const me = session.clientId;
    session.move('b', null);
    assert.deepEqual(session.visible().map(e => e.id), ['b', 'a']);
    assert.deepEqual(socket.last('structure'), { type: 'structure', seq: 1, op: { op: 'move', cell: 'b', after: null } });
    socket.drop();
    mock.timers.tick(500);
    const second = server.current();
    second.accept();
    assert.equal(second.last('structure'), undefined); // nothing before the welcome
    second.receive(welcome([code('a'), code('b')], { accepted: 0 }));
    assert.deepEqual(second.last('structure'), { type: 'structure', seq: 1, op: { op: 'move', cell: 'b', after: null } });
    assert.deepEqual(session.visible().map(e => e.id), ['b', 'a']);
    second.receive({ type: 'structure', version: 3, clientId: me, seq: 1, op: { op: 'move', cell: 'b', after: null } });
    assert.equal(session.structure.pending().length, 0);
    assert.deepEqual(session.visible().map(e => e.id), ['b', 'a']);
  });

  it('sends a run only once the cells\' typing is confirmed', () => {
    const session = open();
    socket.receive(welcome([code('c1')]));
    session.run(['c1']);
    assert.deepEqual(socket.last('run'), { type: 'run', cells: ['c1'] });
  });

  it('reports the run state and the kernel as the server sends them', () => {
    const session = open();
    socket.receive(welcome([code('c1')]));
    socket.receive({ type: 'run', cell: 'c1', run: { state: 'running', by: 'Ada', queuedAt: 1, startedAt: 2 }, executionCount: 7 });
    assert.equal(session.cells.get('c1')!.run?.state, 'running');
    assert.equal(session.cells.get('c1')!.executionCount, 7);
    socket.receive({ type: 'kernel', kernel: { ...KERNEL, state: 'busy' } });
    assert.equal(session.kernel.state, 'busy');
    socket.receive({ type: 'run', cell: 'c1' });
    assert.equal(session.cells.get('c1')!.run, null);
    assert.equal(session.cells.get('c1')!.executionCount, null);
  });

  it('ignores malformed messages and logs them', () => {
    const warn = mock.method(console, 'warn', () => {});
    const session = open();
    socket.receive(welcome([code('c1')]));
    socket.receive({ type: 'output', cell: 'c1', index: 0, output: { output_type: 'teleport' } });
    socket.receive({ type: 'run', cell: 'c1', run: { state: 'exploded', by: 'x' } });
    assert.deepEqual(session.cells.get('c1')!.outputs, []);
    assert.equal(warn.mock.callCount(), 2);
    assert.match(String(warn.mock.calls[0].arguments[1]), /output_type "teleport"/);
    assert.match(String(warn.mock.calls[1].arguments[1]), /message.run.state is not one of queued/);
    assert.equal(server.sockets.length, 1); // the connection stays
  });

  it('stops when signed out instead of retrying for ever', async () => {
    open();
    socket.receive(welcome([]));
    socket.drop();
    mock.timers.tick(500);
    server.signedIn = false;
    server.current().drop();
    for (let i = 0; i < 5; i++) await Promise.resolve();
    mock.timers.tick(60_000);
    assert.equal(server.sockets.length, 2);
    assert.equal(host.status, 'signed-out');
  });
});
