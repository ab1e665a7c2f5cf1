import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseCollabMessage } from '../src/protocol/collab';
import { parseNotebookMessage } from '../src/protocol/notebook';
import { parseTerminalMessage } from '../src/protocol/terminal';
import { parsePoints, parseRuns } from '../src/protocol/charts';

const json = (value: object) => JSON.stringify(value);

describe('collab protocol', () => {
  it('reads both kinds of welcome (PROTOCOL.md: from + updates, or version + text + accepted)', () => {
    const limits = { maxChangeChars: 10, maxDocumentChars: 20, maxFrameBytes: 30 };
    assert.deepEqual(parseCollabMessage(json({ type: 'welcome', role: 'viewer', name: 'Ada', colour: '#000', limits, version: 2, text: 'hi', accepted: 1 })), {
      ok: true, message: { type: 'welcome', role: 'viewer', name: 'Ada', colour: '#000', limits, version: 2, text: 'hi', accepted: 1 },
    });
    const parsed = parseCollabMessage(json({ type: 'welcome', role: 'editor', from: 4, updates: [{ clientId: 'c', changes: [1, [0, 'x']] }] }));
    assert.ok(parsed.ok && parsed.message.type == 'welcome' && 'updates' in parsed.message);
  });

  it('reads each answer to a push', () => {
    assert.deepEqual(parseCollabMessage('{"type":"pushed","ok":true,"version":5,"rebased":true}'),
      { ok: true, message: { type: 'pushed', ok: true, version: 5, rebased: true } });
    assert.deepEqual(parseCollabMessage('{"type":"pushed","ok":false,"reason":"stale","version":9}'),
      { ok: true, message: { type: 'pushed', ok: false, reason: 'stale', version: 9 } });
    assert.deepEqual(parseCollabMessage('{"type":"pushed","ok":false,"reason":"refused","message":"too large"}'),
      { ok: true, message: { type: 'pushed', ok: false, reason: 'refused', message: 'too large' } });
    assert.deepEqual(parseCollabMessage('{"type":"pushed","ok":false,"reason":"bored"}'),
      { ok: false, problem: 'message.reason is not one of stale, refused' });
  });

  it('reads presence whole and as moves', () => {
    const parsed = parseCollabMessage(json({ type: 'presence', version: 3, participants: [{ clientId: 'b', anchor: 1, head: 2 }], left: ['c'] }));
    assert.deepEqual(parsed, { ok: true, message: { type: 'presence', version: 3, full: false, left: ['c'],
      participants: [{ clientId: 'b', name: undefined, colour: undefined, role: undefined, anchor: 1, head: 2 }] } });
  });

  it('names what is wrong with a malformed message', () => {
    assert.deepEqual(parseCollabMessage('[1,2]'), { ok: false, problem: 'message is not an object' });
    assert.deepEqual(parseCollabMessage('{"no":"type"}'), { ok: false, problem: 'message.type is not a string' });
    assert.deepEqual(parseCollabMessage('{"type":"updates","from":1.5,"updates":[]}'), { ok: false, problem: 'message.from is not an integer' });
    assert.deepEqual(parseCollabMessage('{"type":"updates","from":1,"updates":[{"clientId":"c"}]}'),
      { ok: false, problem: 'message.updates[0].changes is not present' });
  });

  it('passes on a type it does not know (a newer server), for the caller to ignore', () => {
    assert.deepEqual(parseCollabMessage('{"type":"teleport"}'), { ok: true, message: { type: '(unknown)', was: 'teleport' } });
  });
});

describe('notebook protocol', () => {
  it('reads a welcome with live and deleted cells', () => {
    const parsed = parseNotebookMessage(json({
      type: 'welcome', role: 'editor', mayRun: true, name: 'Ada', colour: '#000', version: 3, accepted: 2, metadata: {},
      cells: [
        { id: 'a', type: 'code', outputs: [{ output_type: 'stream', name: 'stdout', text: ['line 1\n', 'line 2\n'] }], executionCount: 1,
          run: { state: 'done', by: 'Ada', queuedAt: 1, startedAt: 2, endedAt: 3, executionCount: 1 } },
        { id: 'b', deleted: true },
      ],
      kernel: { state: 'idle', spec: 'java', displayName: 'Java', language: 'java', detail: null, specs: [{ name: 'java', displayName: 'Java', language: 'java' }] },
      rebuild: [], focus: [{ clientId: 'c', name: 'Bo', colour: '#111', cell: 'a' }],
    }));
    assert.ok(parsed.ok && parsed.message.type == 'welcome');
    assert.deepEqual(parsed.message.cells[0].outputs, [{ output_type: 'stream', name: 'stdout', text: 'line 1\nline 2\n' }]);
    assert.equal(parsed.message.cells[0].run?.state, 'done');
    assert.deepEqual(parsed.message.cells[1], { id: 'b', type: 'code', deleted: true, outputs: [], executionCount: null, run: null });
  });

  it('reads a cell\'s collab message inside its envelope, and reports a bad one with its path', () => {
    const ok = parseNotebookMessage(json({ type: 'cell', cell: 'a', message: { type: 'updates', from: 0, updates: [] } }));
    assert.deepEqual(ok, { ok: true, message: { type: 'cell', cell: 'a', message: { type: 'updates', from: 0, updates: [] } } });
    assert.deepEqual(parseNotebookMessage(json({ type: 'cell', cell: 'a', message: { type: 'updates' } })),
      { ok: false, problem: 'message.message.from is not a number' });
  });

  it('reads structure ops and refuses one it does not know', () => {
    assert.deepEqual(parseNotebookMessage(json({ type: 'structure', version: 2, clientId: 'c', seq: 1, op: { op: 'insert', cell: 'x', type: 'markdown', after: null, source: '# hi' } })),
      { ok: true, message: { type: 'structure', version: 2, clientId: 'c', seq: 1, op: { op: 'insert', cell: 'x', type: 'markdown', after: null, source: '# hi' } } });
    assert.deepEqual(parseNotebookMessage(json({ type: 'structure', version: 2, clientId: 'c', seq: 1, op: { op: 'split', cell: 'x' } })),
      { ok: false, problem: 'message.op.op is not one of insert, delete, move, type' });
  });

  it('reads every nbformat output type and refuses others', () => {
    const error = parseNotebookMessage(json({ type: 'output', cell: 'a', index: 0, output: { output_type: 'error', ename: 'E', evalue: 'v', traceback: ['t1', 't2'] } }));
    assert.deepEqual(error, { ok: true, message: { type: 'output', cell: 'a', index: 0, output: { output_type: 'error', ename: 'E', evalue: 'v', traceback: ['t1', 't2'] } } });
    const result = parseNotebookMessage(json({ type: 'replace', cell: 'a', index: 1, output: { output_type: 'execute_result', data: { 'text/plain': '2' }, metadata: {}, execution_count: 3 } }));
    assert.ok(result.ok && result.message.type == 'replace' && result.message.output.output_type == 'execute_result' && result.message.output.execution_count == 3);
    assert.equal(parseNotebookMessage(json({ type: 'output', cell: 'a', index: 0, output: { output_type: 'stream', text: 'no name' } })).ok, false);
  });

  it('reads the kernel\'s documentation (the answer to inspect)', () => {
    assert.deepEqual(parseNotebookMessage(json({ type: 'documentation', request: 'r1', found: true, text: 'int abs(int a)' })),
      { ok: true, message: { type: 'documentation', request: 'r1', found: true, text: 'int abs(int a)' } });
    assert.deepEqual(parseNotebookMessage(json({ type: 'documentation', request: 'r2', found: false })),
      { ok: true, message: { type: 'documentation', request: 'r2', found: false, text: '' } });
  });

  it('tells an absent execution count (leave it) from null (none)', () => {
    const absent = parseNotebookMessage(json({ type: 'outputs', cell: 'a', outputs: [] }));
    const none = parseNotebookMessage(json({ type: 'outputs', cell: 'a', outputs: [], executionCount: null }));
    assert.ok(absent.ok && absent.message.type == 'outputs' && absent.message.executionCount === undefined);
    assert.ok(none.ok && none.message.type == 'outputs' && none.message.executionCount === null);
  });
});

describe('terminal protocol', () => {
  it('reads output and status, and refuses output without data', () => {
    assert.deepEqual(parseTerminalMessage('{"type":"output","data":"$ "}'), { ok: true, message: { type: 'output', data: '$ ' } });
    assert.deepEqual(parseTerminalMessage('{"type":"status","text":""}'), { ok: true, message: { type: 'status', text: '' } });
    assert.deepEqual(parseTerminalMessage('{"type":"output"}'), { ok: false, problem: 'message.data is not a string' });
  });
});

describe('chart feeds', () => {
  it('reads runs and points, a null value being a gap', () => {
    assert.deepEqual(parseRuns('[{"id":"r0","label":"rank 0"},{"id":"r1"}]'), { ok: true, message: [{ id: 'r0', label: 'rank 0' }, { id: 'r1', label: 'r1' }] });
    assert.deepEqual(parsePoints('[[1,0.5],[2,null]]'), { ok: true, message: [[1, 0.5], [2, null]] });
    assert.deepEqual(parsePoints('[[1]]'), { ok: false, problem: 'points[0] is not [step, value]' });
    assert.deepEqual(parsePoints('[[null,1]]'), { ok: false, problem: 'points[0] is not [step, value]' });
    assert.deepEqual(parsePoints('{'), { ok: false, problem: 'not JSON' });
  });
});
