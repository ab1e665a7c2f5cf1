import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCollabMessage } from '../src/protocol/collab';

/**
 * The messages the Java server really sends, recorded by collab's CollabWireGoldenTest from a scripted session (that
 * test fails when the server's messages change): the browser's parser must read every one of them.
 */
const GOLDEN = join(process.cwd(), '..', 'collab', 'src', 'test', 'resources', 'golden', 'collab-wire.json');

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
