import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCollabMessage } from '../src/protocol/collab';
import { parseNotebookMessage } from '../src/protocol/notebook';

/**
 * The messages the Java server really sends, recorded from scripted sessions by collab's CollabWireGoldenTest and
 * studio-server's NotebookWireGoldenTest (they fail when the server's messages change): the browser's parsers must
 * read every one of them.
 */
const GOLDEN = join(process.cwd(), '..', 'collab', 'src', 'test', 'resources', 'golden', 'collab-wire.json');
const NOTEBOOK_GOLDEN = join(process.cwd(), '..', 'studio-server', 'src', 'test', 'resources', 'golden', 'notebook-wire.json');

describe('the collab server\'s golden messages', () => {
  const messages: unknown[] = JSON.parse(readFileSync(GOLDEN, 'utf8'));

  it('all parse, as a type the browser knows', () => {
    for (const message of messages) {
      const parsed = parseCollabMessage(JSON.stringify(message));
      assert.ok(parsed.ok, `${JSON.stringify(message)}: ${parsed.ok ? '' : parsed.problem}`);
      assert.notEqual(parsed.message.type, '(unknown)', JSON.stringify(message));
    }
  });

  it('cover every kind the server sends', () => {
    const kinds = new Set(messages.map(m => {
      const parsed = parseCollabMessage(JSON.stringify(m));
      if (!parsed.ok) return 'malformed';
      const message = parsed.message;
      if (message.type == 'welcome') return 'text' in message ? 'welcome text' : 'welcome updates';
      if (message.type == 'pushed') return message.ok ? 'pushed ok' : 'pushed ' + message.reason;
      return message.type;
    }));
    assert.deepEqual([...kinds].sort(), ['error', 'pong', 'presence', 'pushed ok', 'pushed refused', 'pushed stale', 'resync',
      'updates', 'welcome text', 'welcome updates']);
  });
});

describe('the notebook server\'s golden messages', () => {
  const messages: unknown[] = JSON.parse(readFileSync(NOTEBOOK_GOLDEN, 'utf8'));

  it('all parse, as a type the browser knows, cells\' collab messages included', () => {
    const kinds = new Set<string>();
    for (const message of messages) {
      const parsed = parseNotebookMessage(JSON.stringify(message));
      assert.ok(parsed.ok, `${JSON.stringify(message)}: ${parsed.ok ? '' : parsed.problem}`);
      assert.notEqual(parsed.message.type, '(unknown)', JSON.stringify(message));
      kinds.add(parsed.message.type == 'cell' ? 'cell ' + parsed.message.message.type : parsed.message.type);
    }
    assert.deepEqual([...kinds].sort(), ['cell presence', 'cell pushed', 'cell updates', 'cell welcome', 'error', 'focus',
      'kernel', 'output', 'outputs', 'pong', 'rebuild', 'replace', 'run', 'stream', 'structure', 'welcome']);
  });
});
