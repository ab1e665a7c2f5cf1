/**
 * What <kiln-charts> draws, without the drawing: metric -> run -> step -> value, the runs in the order (and colours)
 * of their lines, the step range all charts share, and the columns uPlot wants. A point sent again for a step
 * replaces the first (a job resumed from a checkpoint repeats steps).
 */
import type { Point, Run } from './protocol/charts';

/** Values every training line has that make no chart of their own against the step. */
const NOT_CHARTED = new Set(['step', 'epoch']);

export class ChartData {
  private readonly byMetric = new Map<string, Map<string, Map<number, number | null>>>();
  private runList: Run[] = [];

  /** Names the runs, in the order their lines are drawn. */
  setRuns(runs: Run[]) {
    this.runList = [...runs];
  }

  /** Adds points of one metric of one run; false when the metric is not charted. */
  append(metric: string, run: string, points: Point[]): boolean {
    if (NOT_CHARTED.has(metric)) return false;
    if (!this.runList.some(r => r.id == run)) this.runList.push({ id: run, label: run });
    let byRun = this.byMetric.get(metric);
    if (!byRun) {
      byRun = new Map();
      this.byMetric.set(metric, byRun);
    }
    let series = byRun.get(run);
    if (!series) {
      series = new Map();
      byRun.set(run, series);
    }
    for (const [step, value] of points) series.set(step, value);
    return true;
  }

  clear() {
    this.byMetric.clear();
    this.runList = [];
  }

  runs(): readonly Run[] {
    return this.runList;
  }

  /** Metrics in the order shown: losses first, then the rest as they came. */
  metrics(): string[] {
    const names = [...this.byMetric.keys()];
    return [...names.filter(n => n.includes('loss')), ...names.filter(n => !n.includes('loss'))];
  }

  /** The runs that have points of this metric, in the runs' order. */
  runsOf(metric: string): Run[] {
    const byRun = this.byMetric.get(metric);
    return byRun ? this.runList.filter(r => byRun.has(r.id)) : [];
  }

  /** The colour slot of a run: its place among all runs, so a run keeps its colour on every chart. */
  slot(run: string): number {
    return this.runList.findIndex(r => r.id == run);
  }

  /** The steps all charts show: from the first to the last step of any metric (a 2-wide range around one step). */
  fullRange(): [number, number] {
    let min = Infinity;
    let max = -Infinity;
    for (const byRun of this.byMetric.values()) {
      for (const points of byRun.values()) {
        for (const step of points.keys()) {
          if (step < min) min = step;
          if (step > max) max = step;
        }
      }
    }
    if (!isFinite(min)) return [0, 1];
    return min == max ? [min - 1, max + 1] : [min, max];
  }

  /** A log scale for a loss while every value of it is positive. */
  wantsLog(metric: string): boolean {
    const byRun = this.byMetric.get(metric);
    if (!metric.includes('loss') || !byRun) return false;
    for (const points of byRun.values()) {
      for (const v of points.values()) if (v !== null && Number.isFinite(v) && !(v > 0)) return false;
    }
    return true;
  }

  /** uPlot's columns: the sorted steps of any run, then one column per run (null: no value there, or not drawable). */
  aligned(metric: string, log: boolean): [number[], ...(number | null)[][]] {
    const byRun = this.byMetric.get(metric);
    if (!byRun) return [[]];
    const runs = this.runsOf(metric);
    const steps = new Set<number>();
    for (const r of runs) for (const s of byRun.get(r.id)!.keys()) steps.add(s);
    const xs = [...steps].sort((a, b) => a - b);
    const columns = runs.map(r => {
      const points = byRun.get(r.id)!;
      return xs.map(x => {
        const v = points.get(x);
        return v === undefined || v === null || !Number.isFinite(v) || (log && v <= 0) ? null : v;
      });
    });
    return [xs, ...columns];
  }

  /** Points per metric (what the page's data-points-* attributes say), and in all. */
  counts(): { total: number; byMetric: Map<string, number> } {
    const byMetric = new Map<string, number>();
    let total = 0;
    for (const [metric, byRun] of this.byMetric) {
      let n = 0;
      for (const points of byRun.values()) n += points.size;
      byMetric.set(metric, n);
      total += n;
    }
    return { total, byMetric };
  }
}
