/**
 * What the server hands <kiln-charts> (MetricCharts.java calls `setRuns` and `append` with JSON text): the runs, in
 * the order their lines are drawn, and points of one metric of one run. NaN and infinities arrive as null (a gap).
 */
import { Fields, Malformed, Parsed } from './check';

export interface Run {
  id: string;
  label: string;
}

/** [step, value]; value null: no number at that step. */
export type Point = [number, number | null];

function parse<T>(json: string, read: (value: unknown) => T): Parsed<T> {
  try {
    return { ok: true, message: read(JSON.parse(json)) };
  } catch (e) {
    if (e instanceof Malformed) return { ok: false, problem: e.message };
    if (e instanceof SyntaxError) return { ok: false, problem: 'not JSON' };
    throw e;
  }
}

export function parseRuns(json: string): Parsed<Run[]> {
  return parse(json, value => {
    if (!Array.isArray(value)) throw new Malformed('runs is not an array');
    return value.map((v, i) => {
      const f = Fields.of(v, `runs[${i}]`);
      const id = f.string('id');
      return { id, label: f.optString('label') ?? id };
    });
  });
}

export function parsePoints(json: string): Parsed<Point[]> {
  return parse(json, value => {
    if (!Array.isArray(value)) throw new Malformed('points is not an array');
    return value.map((p, i): Point => {
      if (!Array.isArray(p) || p.length != 2 || typeof p[0] != 'number' || !Number.isFinite(p[0])
        || !(p[1] === null || typeof p[1] == 'number')) {
        throw new Malformed(`points[${i}] is not [step, value]`);
      }
      return [p[0], p[1]];
    });
  });
}
