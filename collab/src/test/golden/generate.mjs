// Generates golden ChangeSet cases with the real @codemirror/state, for ChangeSetGoldenTest.
// Run from this folder:  npm install --no-save @codemirror/state@6.7.6 && node generate.mjs > ../resources/golden/changeset-cases.json
import { ChangeSet, Text } from '@codemirror/state';

let seed = 20261122;
function random() { // mulberry32: reproducible cases
  seed |= 0; seed = (seed + 0x6D2B79F5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (n) => Math.floor(random() * n);
const alphabet = 'ab\ncdé';
function text(max) { let s = ''; for (let i = int(max + 1); i > 0; i--) s += alphabet[int(alphabet.length)]; return s; }
function changesFor(length) {
  const specs = [];
  let pos = 0;
  for (let n = 1 + int(3); n > 0 && pos <= length; n--) {
    const from = pos + int(length - pos + 1);
    const to = from + int(Math.min(4, length - from) + 1);
    specs.push({ from, to, insert: random() < 0.7 ? text(4) : '' });
    pos = to + 1;
  }
  return ChangeSet.of(specs, length);
}
const doc = (s) => Text.of(s.split('\n'));
const cases = [];
for (let i = 0; i < 400; i++) {
  const start = text(20);
  const a = changesFor(start.length);
  const afterA = a.apply(doc(start)).toString();
  const b = changesFor(start.length);
  const c = changesFor(afterA.length);
  cases.push({ kind: 'apply', doc: start, changes: a.toJSON(), result: afterA });
  cases.push({ kind: 'compose', doc: start, a: a.toJSON(), b: c.toJSON(), composed: a.compose(c).toJSON(),
    result: a.compose(c).apply(doc(start)).toString() });
  const before = random() < 0.5;
  const mapped = a.map(b, before);
  cases.push({ kind: 'map', doc: start, a: a.toJSON(), b: b.toJSON(), before, mapped: mapped.toJSON(),
    result: b.compose(mapped).apply(doc(start)).toString() });
  const pos = int(start.length + 1), assoc = random() < 0.5 ? -1 : 1;
  cases.push({ kind: 'mapPos', changes: a.toJSON(), pos, assoc, result: a.mapPos(pos, assoc) });
}
console.log(JSON.stringify({ generator: '@codemirror/state 6.7.6', cases }, null, 0));
