import { LitElement, html, PropertyValues } from 'lit';
import { customElement, property } from 'lit/decorators.js';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

const COLOURS = ['#1565c0', '#e65100', '#2e7d32', '#6a1b9a', '#c62828', '#00838f'];

/**
 * <kiln-chart title="loss">: a live line chart of one or more series over training steps (uPlot: fast enough to
 * redraw every second with tens of thousands of points). The server appends points as they arrive; series that
 * appear later are added on the fly. Renders in the light DOM so uPlot's stylesheet applies.
 */
@customElement('kiln-chart')
export class KilnChart extends LitElement {
  @property({ type: String }) title = '';

  private plot?: uPlot;
  private names: string[] = [];
  private points = new Map<string, Map<number, number>>();
  private resizeObserver?: ResizeObserver;

  protected createRenderRoot() {
    return this;
  }

  render() {
    return html`<div class="kiln-chart-host"></div>`;
  }

  protected firstUpdated(_changed: PropertyValues) {
    this.resizeObserver = new ResizeObserver(() => this.redraw(true));
    this.resizeObserver.observe(this);
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this.resizeObserver?.disconnect();
    this.plot?.destroy();
    this.plot = undefined;
  }

  /** Adds points (a JSON array of [step, value] pairs) to a series, creating it if needed. */
  append(name: string, json: string) {
    const pairs: number[][] = JSON.parse(json);
    if (!this.points.has(name)) {
      this.points.set(name, new Map());
      this.names.push(name);
      this.plot?.destroy();
      this.plot = undefined;
    }
    const series = this.points.get(name)!;
    for (const [step, value] of pairs) series.set(step, value);
    this.redraw(false);
    this.dataset.points = String([...this.points.values()].reduce((n, s) => n + s.size, 0));
    this.setAttribute('data-points-' + name.replace(/[^a-z0-9_-]/gi, '_').toLowerCase(), String(series.size));
  }

  /** Forgets every series (another job was selected). */
  reset() {
    this.points.clear();
    this.names = [];
    this.plot?.destroy();
    this.plot = undefined;
    this.dataset.points = '0';
  }

  private data(): uPlot.AlignedData {
    const steps = new Set<number>();
    for (const series of this.points.values()) for (const step of series.keys()) steps.add(step);
    const xs = [...steps].sort((a, b) => a - b);
    const columns: (number | null)[][] = this.names.map((name) => {
      const series = this.points.get(name)!;
      return xs.map((x) => (series.has(x) ? series.get(x)! : null));
    });
    return [xs, ...columns] as uPlot.AlignedData;
  }

  private redraw(resized: boolean) {
    const host = this.querySelector('.kiln-chart-host') as HTMLElement | null;
    if (!host || this.names.length == 0) return;
    const width = Math.max(this.clientWidth - 8, 200);
    const height = Math.max(this.clientHeight - 40, 120);
    if (!this.plot) {
      this.plot = new uPlot({
        title: this.title,
        width,
        height,
        scales: { x: { time: false } },
        axes: [{ label: 'step' }, {}],
        series: [{ label: 'step' }, ...this.names.map((name, i) => ({
          label: name, stroke: COLOURS[i % COLOURS.length], width: 1.5, spanGaps: true,
        }))],
      }, this.data(), host);
      return;
    }
    if (resized) this.plot.setSize({ width, height });
    this.plot.setData(this.data());
  }
}
