// Chains of edits composed together, mapped and composed again: run like generate.mjs, output to ../resources/golden/changeset-chains.json
import { ChangeSet, Text } from '@codemirror/state';
let seed = 7;
function random() { seed |= 0; seed = (seed + 0x6D2B79F5) | 0; let t = Math.imul(seed ^ (seed >>> 15), 1 | seed); t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t; return ((t ^ (t >>> 14)) >>> 0) / 4294967296; }
const int = (n) => Math.floor(random() * n);
const alphabet = 'ab\ncd';
function text(max) { let s = ''; for (let i = int(max + 1); i > 0; i--) s += alphabet[int(alphabet.length)]; return s; }
function one(length) { const from = int(length + 1); const to = Math.min(length, from + (int(3) == 0 ? int(5) : 0)); return ChangeSet.of([{ from, to, insert: text(3) }], length); }
function chain(doc, n) { let cs = ChangeSet.empty(doc.length); let d = doc; for (let i = 0; i < n; i++) { const c = one(d.length); cs = cs.compose(c); d = c.apply(Text.of(d.split('\n'))).toString(); } return cs; }
const cases = [];
for (let i = 0; i < 500; i++) {
  const start = text(15);
  const a = chain(start, 1 + int(5)), b = chain(start, 1 + int(5));
  const before = random() < 0.5;
  const mapped = a.map(b, before);
  cases.push({ kind: 'map', doc: start, a: a.toJSON(), b: b.toJSON(), before, mapped: mapped.toJSON(), result: b.compose(mapped).apply(Text.of(start.split('\n'))).toString() });
  const afterA = a.apply(Text.of(start.split('\n'))).toString();
  const c = chain(afterA, 1 + int(5));
  cases.push({ kind: 'compose', doc: start, a: a.toJSON(), b: c.toJSON(), composed: a.compose(c).toJSON(), result: a.compose(c).apply(Text.of(start.split('\n'))).toString() });
}
console.log(JSON.stringify({ generator: '@codemirror/state 6.7.6 chains', cases }));
