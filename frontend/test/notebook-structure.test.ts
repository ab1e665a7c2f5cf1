import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Entry, StructureState, applyOp } from '../src/notebook-structure';

const list = (...ids: string[]): Entry[] => ids.map(id => ({ id, type: 'code', deleted: false }));
const ids = (entries: Entry[]) => entries.filter(e => !e.deleted).map(e => e.id);

describe('applyOp', () => {
  it('inserts after a cell, first with after null, and at the end when the cell after which is unknown', () => {
    const entries = list('a', 'b');
    assert.ok(applyOp(entries, { op: 'insert', cell: 'x', type: 'code', after: 'a', source: '' }));
    assert.ok(applyOp(entries, { op: 'insert', cell: 'y', type: 'markdown', after: null, source: '' }));
    assert.ok(applyOp(entries, { op: 'insert', cell: 'z', type: 'raw', after: 'gone', source: '' }));
    assert.deepEqual(ids(entries), ['y', 'a', 'x', 'b', 'z']);
    assert.equal(applyOp(entries, { op: 'insert', cell: 'x', type: 'code', after: null, source: '' }), false);
  });

  it('keeps deleted cells as tombstones, so an insert after one lands where it was meant', () => {
    const entries = list('a', 'b', 'c');
    assert.ok(applyOp(entries, { op: 'delete', cell: 'b' }));
    assert.ok(applyOp(entries, { op: 'insert', cell: 'x', type: 'code', after: 'b', source: '' }));
    assert.deepEqual(ids(entries), ['a', 'x', 'c']);
    assert.equal(applyOp(entries, { op: 'delete', cell: 'b' }), false);
    assert.equal(applyOp(entries, { op: 'move', cell: 'b', after: null }), false);
    assert.equal(applyOp(entries, { op: 'type', cell: 'b', type: 'markdown' }), false);
  });

  it('moves a cell after another, or first; a move after itself or an unknown cell does nothing', () => {
    const entries = list('a', 'b', 'c');
    assert.ok(applyOp(entries, { op: 'move', cell: 'a', after: 'c' }));
    assert.deepEqual(ids(entries), ['b', 'c', 'a']);
    assert.ok(applyOp(entries, { op: 'move', cell: 'a', after: null }));
    assert.deepEqual(ids(entries), ['a', 'b', 'c']);
    assert.equal(applyOp(entries, { op: 'move', cell: 'a', after: 'a' }), false);
    assert.equal(applyOp(entries, { op: 'move', cell: 'a', after: 'nowhere' }), false);
  });

  it('changes a type only when it differs', () => {
    const entries = list('a');
    assert.ok(applyOp(entries, { op: 'type', cell: 'a', type: 'markdown' }));
    assert.equal(applyOp(entries, { op: 'type', cell: 'a', type: 'markdown' }), false);
    assert.equal(entries[0].type, 'markdown');
  });
});

describe('StructureState', () => {
  it('shows its own ops on top of the confirmed list until the server confirms them', () => {
    const state = new StructureState('me');
    state.welcome(list('a', 'b'), 2, 0);
    const pending = state.local({ op: 'move', cell: 'b', after: null });
    assert.deepEqual(ids(state.shown()), ['b', 'a']);
    assert.ok(state.receive(3, { op: 'insert', cell: 'x', type: 'code', after: 'a', source: '' }, 'other', 1));
    assert.deepEqual(ids(state.shown()), ['b', 'a', 'x']);
    assert.ok(state.receive(4, pending.op, 'me', pending.seq));
    assert.deepEqual(state.pending(), []);
    assert.deepEqual(ids(state.shown()), ['b', 'a', 'x']);
  });

  it('reports a gap in the server\'s versions and ignores an op it already has', () => {
    const state = new StructureState('me');
    state.welcome(list('a'), 5, 0);
    assert.ok(state.receive(5, { op: 'delete', cell: 'a' }, 'other', 1));
    assert.deepEqual(ids(state.shown()), ['a']);
    assert.equal(state.receive(7, { op: 'delete', cell: 'a' }, 'other', 2), false);
  });

  it('drops on a welcome the ops the server says it accepted, and numbers new ones after them', () => {
    const state = new StructureState('me');
    state.welcome(list('a', 'b'), 2, 0);
    state.local({ op: 'delete', cell: 'a' });
    state.local({ op: 'delete', cell: 'b' });
    state.welcome(list('b'), 3, 1);
    assert.deepEqual(state.pending().map(p => p.seq), [2]);
    assert.equal(state.local({ op: 'type', cell: 'b', type: 'raw' }).seq, 3);
    assert.deepEqual(ids(state.shown()), []);
  });
});
