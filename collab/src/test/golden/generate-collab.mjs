// Editing sessions with real @codemirror/collab clients, for CollabGoldenTest. Run from this folder:
//   npm install --no-save @codemirror/state@6.7.6 @codemirror/collab@6.1.1 && node generate-collab.mjs > ../resources/golden/collab-sessions.json
//
// Each client is an EditorState with collab(); it types, pushes sendableUpdates() at getSyncedVersion(), and takes
// what the server accepted with receiveUpdates(), one update at a time, in batches of any size (a client often sees
// part of what was accepted before its own push lands). The server is Kiln's authority written again here: a push
// based on an older version is moved over the updates accepted since, step by step, dropping the pushing client's
// own earlier copies (DocumentAuthority.rebase). Pushes wait in a queue and arrive late. The Java test replays every
// step and must get the same pending changes, the same accepted updates and the same texts.
//
// The file also records, per session, whether @codemirror/collab's own rebaseUpdates (which composes the updates it
// moves over first) would have left the clients with different texts: it does in some sessions, which is why Kiln
// rebases step by step.
import { ChangeSet, EditorState, Text } from '@codemirror/state';
import { collab, receiveUpdates, sendableUpdates, getSyncedVersion, rebaseUpdates } from '@codemirror/collab';

let seed = 20261201;
function random() { // mulberry32: reproducible sessions
  seed |= 0; seed = (seed + 0x6D2B79F5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(random() * n);
const alphabet = 'ab \ncdé';
function text(max) { let s = ''; for (let i = int(max + 1); i > 0; i--) s += alphabet[int(alphabet.length)]; return s; }
function edit(length) {
  const from = int(length + 1);
  const to = Math.min(length, from + (int(3) == 0 ? int(6) : 0));
  return { from, to, insert: int(4) == 0 ? '' : text(4) };
}

/** Kiln's rebase: step by step over `over`, the pushing client's own updates among them dropped. */
function kilnRebase(updates, over) {
  if (!over.length || !updates.length) return updates;
  const client = updates[0].clientID;
  let pending = updates.map(u => u.changes);
  for (const update of over) {
    if (update.clientID == client) { if (pending.length) pending = pending.slice(1); continue; }
    let theirs = update.changes;
    pending = pending.map(mine => { const moved = mine.map(theirs); theirs = theirs.map(mine, true); return moved; });
  }
  return pending.map(changes => ({ changes, clientID: client }));
}

function session(rebase) {
  const start = text(12);
  const n = 2 + int(4);
  const clients = [];
  for (let i = 0; i < n; i++) {
    clients.push({ id: 'c' + i, state: EditorState.create({ doc: start, extensions: collab({ startVersion: 0, clientID: 'c' + i }) }), pushing: false });
  }
  const server = { doc: Text.of(start.split('\n')), updates: [] };
  const queue = [];
  const steps = [];
  const receive = (client, count) => {
    const from = getSyncedVersion(client.state);
    const batch = server.updates.slice(from, from + count);
    for (const u of batch) client.state = receiveUpdates(client.state, [u]).state;
    steps.push({ kind: 'receive', client: client.id, from, count: batch.length, doc: client.state.doc.toString() });
  };
  const deliver = (push) => {
    const over = server.updates.slice(push.version);
    const accepted = push.version == server.updates.length ? push.updates : rebase(push.updates, over);
    const from = server.updates.length;
    for (const u of accepted) { server.doc = u.changes.apply(server.doc); server.updates.push(u); }
    push.client.pushing = false;
    steps.push({ kind: 'accept', client: push.client.id, version: push.version, from,
      accepted: accepted.map(u => u.changes.toJSON()), doc: server.doc.toString() });
  };
  for (let step = 0, total = 30 + int(40); step < total; step++) {
    const client = clients[int(n)];
    switch (int(6)) {
      case 0: case 1: {
        const tr = client.state.update({ changes: edit(client.state.doc.length) });
        client.state = tr.state;
        steps.push({ kind: 'edit', client: client.id, changes: tr.changes.toJSON() });
        break;
      }
      case 2: {
        const pending = sendableUpdates(client.state);
        if (client.pushing || !pending.length) break;
        client.pushing = true;
        const push = { client, version: getSyncedVersion(client.state), updates: pending.map(u => ({ changes: u.changes, clientID: u.clientID })) };
        queue.push(push);
        steps.push({ kind: 'push', client: client.id, version: push.version, updates: push.updates.map(u => u.changes.toJSON()) });
        break;
      }
      case 3: if (queue.length) deliver(queue.splice(int(queue.length), 1)[0]); break;
      default: receive(client, 1 + int(4)); break;
    }
  }
  // Settle: deliver everything, then each client catches up and pushes until nobody has anything pending.
  for (let round = 0; round < 20; round++) {
    while (queue.length) deliver(queue.shift());
    for (const client of clients) {
      receive(client, server.updates.length);
      const pending = sendableUpdates(client.state);
      if (pending.length && !client.pushing) {
        client.pushing = true;
        const push = { client, version: getSyncedVersion(client.state), updates: pending.map(u => ({ changes: u.changes, clientID: u.clientID })) };
        steps.push({ kind: 'push', client: client.id, version: push.version, updates: push.updates.map(u => u.changes.toJSON()) });
        queue.push(push);
      }
    }
    if (!queue.length) break;
  }
  const texts = clients.map(c => c.state.doc.toString());
  return { start, clients: clients.map(c => c.id), steps, server: server.doc.toString(),
    converged: texts.every(t => t == server.doc.toString()) };
}

const sessions = [];
let composedDiverged = 0;
for (let i = 0; i < 150; i++) {
  const saved = seed;
  const kiln = session(kilnRebase);
  // A session of the same kind (from the same seed) with @codemirror/collab's own rebaseUpdates on the server.
  seed = saved;
  const composed = session((updates, over) => rebaseUpdates(updates, over));
  if (!composed.converged) composedDiverged++;
  if (!kiln.converged) throw new Error('Kiln\'s rebase diverged in session ' + i);
  sessions.push({ ...kiln, composedRebaseConverges: composed.converged });
}
console.log(JSON.stringify({ generator: '@codemirror/collab 6.1.1 + @codemirror/state 6.7.6', composedDiverged, sessions }));
