import { LitElement, html } from 'lit';
import { customElement } from 'lit/decorators.js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { ChartData } from './chart-data';
import { Run, parsePoints, parseRuns } from './protocol/charts';

const COLOURS = ['#1565c0', '#e65100', '#2e7d32', '#6a1b9a', '#c62828', '#00838f', '#5d4037', '#ad1457'];

function key(text: string) {
  return text.replace(/[^a-z0-9_-]/gi, '_').toLowerCase();
}

/**
 * <kiln-charts>: one live chart per metric (loss, val_loss, lr, samples_per_sec, ...), each with one line per run: a
 * job's ranks, or several jobs being compared. All charts share the step axis: the same range, a cursor that moves
 * on all of them, and a zoom (drag across a chart; double-click to zoom out) that applies to all. Losses use a log
 * scale while every value is positive, so a falling loss stays readable. Renders in the light DOM so uPlot's
 * stylesheet applies. The server appends points as they arrive (`append`), names the runs (`setRuns`) and starts
 * over (`reset`).
 */
@customElement('kiln-charts')
export class KilnCharts extends LitElement {
  private readonly data = new ChartData();
  private plots = new Map<string, uPlot>();
  private logScale = new Map<string, boolean>();
  private zoom: [number, number] | null = null;
  private syncing = false;
  private pending = false;
  private readonly syncKey = 'kiln-charts-' + Math.random().toString(36).slice(2);
  private resizeObserver?: ResizeObserver;

  protected createRenderRoot() {
    return this;
  }

  render() {
    return html`<div class="kiln-charts-grid"></div>`;
  }

  protected firstUpdated() {
    this.resizeObserver = new ResizeObserver(() => this.resize());
    this.resizeObserver.observe(this);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.plots.forEach((p) => p.destroy());
    this.plots.clear();
  }

  /** Names the runs, in the order their lines are drawn (a JSON array of {id, label}). */
  setRuns(json: string) {
    const runs = parseRuns(json);
    if (!runs.ok) return console.warn('Kiln charts: ignored malformed runs:', runs.problem);
    this.data.setRuns(runs.message);
    this.rebuild();
  }

  /** Adds points (a JSON array of [step, value] pairs) of one metric of one run. */
  append(metric: string, run: string, json: string) {
    const points = parsePoints(json);
    if (!points.ok) return console.warn('Kiln charts: ignored malformed points of', metric, points.problem);
    if (this.data.append(metric, run, points.message)) this.scheduleRedraw();
  }

  /** Forgets every metric and run (another job was selected). */
  reset() {
    this.data.clear();
    this.zoom = null;
    this.plots.forEach((p) => p.destroy());
    this.plots.clear();
    this.logScale.clear();
    const grid = this.querySelector('.kiln-charts-grid');
    if (grid) grid.innerHTML = '';
    this.updateCounts();
  }

  /** Shows every step again after a zoom. */
  resetZoom() {
    this.zoom = null;
    this.dataset.zoomed = 'false';
    this.syncing = true;
    this.plots.forEach((p) => p.setScale('x', this.range()));
    this.syncing = false;
  }

  private scheduleRedraw() {
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      this.redraw();
    });
  }

  private rebuild() {
    this.plots.forEach((p) => p.destroy());
    this.plots.clear();
    const grid = this.querySelector('.kiln-charts-grid');
    if (grid) grid.innerHTML = '';
    this.redraw();
  }

  private redraw() {
    const grid = this.querySelector('.kiln-charts-grid') as HTMLElement | null;
    if (!grid) return;
    const order = this.data.metrics();
    for (const metric of order) {
      const runs = this.data.runsOf(metric);
      const log = this.data.wantsLog(metric);
      let plot = this.plots.get(metric);
      // A new run on this chart, or the scale changed: build it again (cheap; uPlot has no series insert that keeps order).
      if (plot && (plot.series.length - 1 != runs.length || this.logScale.get(metric) != log)) {
        plot.destroy();
        this.plots.delete(metric);
        grid.querySelector(`[data-metric="${CSS.escape(metric)}"]`)?.remove();
        plot = undefined;
      }
      this.logScale.set(metric, log);
      if (!plot) {
        plot = this.create(grid, metric, runs, log);
        this.plots.set(metric, plot);
      } else {
        plot.setData(this.data.aligned(metric, log), false);
      }
      this.syncing = true;
      plot.setScale('x', this.zoom ? { min: this.zoom[0], max: this.zoom[1] } : this.range());
      this.syncing = false;
      const cell = plot.root.parentElement!;
      cell.dataset.runs = String(runs.length);
      cell.dataset.log = String(log);
    }
    // Keep the cells in the metrics' order.
    for (const metric of order) {
      const cell = grid.querySelector(`[data-metric="${CSS.escape(metric)}"]`);
      if (cell) grid.appendChild(cell);
    }
    this.updateCounts();
  }

  private range() {
    const [min, max] = this.data.fullRange();
    return { min, max };
  }

  private create(grid: HTMLElement, metric: string, runs: Run[], log: boolean): uPlot {
    const cell = document.createElement('div');
    cell.className = 'kiln-chart-cell';
    cell.dataset.metric = metric;
    grid.appendChild(cell);
    const { width, height } = this.cellSize();
    const charts = this;
    return new uPlot({
      title: metric + (log ? ' (log scale)' : ''),
      width,
      height,
      scales: { x: { time: false }, y: log ? { distr: 3 } : {} },
      axes: [{ label: 'step', size: 36 }, { size: 56 }],
      cursor: {
        sync: { key: this.syncKey },
        drag: { x: true, y: false },
        // Double-click zooms every chart out to all the steps, not this chart to its own data.
        bind: { dblclick: () => () => { charts.resetZoom(); return null; } },
      },
      legend: { live: true },
      series: [{ label: 'step' }, ...runs.map((r) => ({
        label: r.label,
        stroke: COLOURS[this.data.slot(r.id) % COLOURS.length],
        width: 1.5,
        spanGaps: true,
      }))],
      hooks: {
        setScale: [(u: uPlot, scale: string) => {
          if (scale != 'x' || charts.syncing) return;
          const full = charts.data.fullRange();
          const min = u.scales.x.min!;
          const max = u.scales.x.max!;
          const zoomed = min > full[0] || max < full[1];
          charts.zoom = zoomed ? [min, max] : null;
          charts.dataset.zoomed = String(zoomed);
          charts.syncing = true;
          charts.plots.forEach((other) => { if (other !== u) other.setScale('x', { min, max }); });
          charts.syncing = false;
        }],
      },
    }, this.data.aligned(metric, log), cell);
  }

  private cellSize() {
    const columns = Math.max(1, Math.floor(Math.max(this.clientWidth, 280) / 300));
    const width = Math.max(Math.floor(this.clientWidth / columns) - 12, 240);
    return { width, height: 170 };
  }

  private resize() {
    const size = this.cellSize();
    this.plots.forEach((p) => p.setSize(size));
  }

  private updateCounts() {
    for (const attr of [...this.attributes]) if (attr.name.startsWith('data-points-')) this.removeAttribute(attr.name);
    const { total, byMetric } = this.data.counts();
    for (const [metric, n] of byMetric) this.setAttribute('data-points-' + key(metric), String(n));
    this.dataset.points = String(total);
    this.dataset.charts = String(byMetric.size);
  }
}

declare global {
  interface HTMLElementTagNameMap {
    'kiln-charts': KilnCharts;
  }
}
