import DOMPurify from 'dompurify';
import { marked } from 'marked';
import './kiln-chart';
import type { KilnChart } from './kiln-chart';
import type { Json } from './protocol/check';
import type { Output } from './protocol/notebook';
import { styledPieces } from './terminal-text';

/**
 * Notebook outputs as DOM (nbformat's output objects): streams and tracebacks with their ANSI colours and carriage
 * returns (a progress line redrawn in place), images, Kiln's live charts on <kiln-chart>, and HTML or Markdown made
 * safe by DOMPurify first: an output is code from a kernel, and nothing in it may run in the studio's page.
 */

const CHART_MIME = 'application/vnd.kiln.chart+json';

type MimeBundle = { [mime: string]: Json };

/** The raw text (with its escapes and carriage returns) each stream element shows, to append to it. */
const shownText = new WeakMap<HTMLElement, string>();

/** Markdown (a cell, a text/markdown output) to sanitized HTML. */
export function markdownHtml(source: string): string {
  return DOMPurify.sanitize(marked.parse(source, { async: false }) as string);
}

export function sanitizedHtml(source: string): string {
  return DOMPurify.sanitize(source);
}

/** Builds the element for one output. */
export function renderOutput(output: Output): HTMLElement {
  switch (output.output_type) {
    case 'stream': {
      const pre = document.createElement('pre');
      pre.className = 'nb-stream' + (output.name == 'stderr' ? ' nb-stderr' : '');
      setTerminalText(pre, output.text ?? '');
      return pre;
    }
    case 'error': {
      const pre = document.createElement('pre');
      pre.className = 'nb-error';
      const traceback = output.traceback;
      setTerminalText(pre, traceback.length ? traceback.join('\n') : `${output.ename}: ${output.evalue}`);
      return pre;
    }
    default:
      return renderBundle(output.data, output.metadata);
  }
}

/** Updates an element made by renderOutput in place where it can (a chart keeps its canvas); else replaces it. */
export function updateOutput(element: HTMLElement, output: Output, appended: string | null): HTMLElement {
  if (appended != null && output.output_type == 'stream' && element.classList.contains('nb-stream')) {
    const text = shownText.get(element) ?? '';
    if (!appended.includes('\r') && !appended.includes('\u001b') && !text.includes('\r')) {
      element.append(document.createTextNode(appended));
      shownText.set(element, text + appended);
    } else {
      setTerminalText(element, output.text);
    }
    return element;
  }
  const chart = element.querySelector('kiln-chart') as KilnChart | null;
  const data: MimeBundle = output.output_type == 'stream' || output.output_type == 'error' ? {} : output.data;
  if (chart && data[CHART_MIME]) {
    fillChart(chart, data[CHART_MIME]);
    return element;
  }
  const fresh = renderOutput(output);
  element.replaceWith(fresh);
  return fresh;
}

function renderBundle(data: MimeBundle, metadata: MimeBundle): HTMLElement {
  const box = document.createElement('div');
  box.className = 'nb-display';
  if (data[CHART_MIME]) {
    const chart = document.createElement('kiln-chart') as KilnChart;
    chart.className = 'nb-chart';
    const spec = data[CHART_MIME];
    chart.title = isObject(spec) && typeof spec.title == 'string' ? spec.title : '';
    box.append(chart);
    // The chart draws once it is in the page and sized.
    requestAnimationFrame(() => fillChart(chart, spec));
    return box;
  }
  for (const mime of ['image/png', 'image/jpeg', 'image/gif']) {
    const image = data[mime];
    if (typeof image == 'string') {
      const img = document.createElement('img');
      img.className = 'nb-image';
      img.src = `data:${mime};base64,${image.replace(/\s/g, '')}`;
      const size = metadata[mime];
      if (isObject(size) && typeof size.width == 'number') img.width = size.width;
      if (isObject(size) && typeof size.height == 'number') img.height = size.height;
      const plain = data['text/plain'];
      img.alt = typeof plain == 'string' ? plain : mime;
      box.append(img);
      return box;
    }
  }
  const svg = data['image/svg+xml'], htmlText = data['text/html'], markdownText = data['text/markdown'];
  if (typeof svg == 'string') {
    box.innerHTML = DOMPurify.sanitize(svg, { USE_PROFILES: { svg: true, svgFilters: true } });
    return box;
  }
  if (typeof htmlText == 'string') {
    box.classList.add('nb-html');
    box.innerHTML = sanitizedHtml(htmlText);
    return box;
  }
  if (typeof markdownText == 'string') {
    box.classList.add('nb-markdown');
    box.innerHTML = markdownHtml(markdownText);
    return box;
  }
  if (data['application/json'] !== undefined) {
    const pre = document.createElement('pre');
    pre.className = 'nb-text';
    pre.textContent = JSON.stringify(data['application/json'], null, 2);
    box.append(pre);
    return box;
  }
  const pre = document.createElement('pre');
  pre.className = 'nb-text';
  const plain = data['text/plain'];
  setTerminalText(pre, typeof plain == 'string' ? plain : '');
  box.append(pre);
  return box;
}

function isObject(value: Json | undefined): value is { [key: string]: Json } {
  return typeof value == 'object' && value !== null && !Array.isArray(value);
}

/** Kiln's chart output: `{title, series: {name: [[step, value], ...]}}`. */
function fillChart(chart: KilnChart, spec: Json | undefined) {
  chart.reset();
  if (!isObject(spec) || !isObject(spec.series)) return;
  for (const [name, points] of Object.entries(spec.series)) {
    chart.append(name, JSON.stringify(points));
  }
}

// ---- terminal text: ANSI colours and carriage returns (terminal-text.ts) ----

/** Fills an element with text, ANSI SGR colours turned into styled spans (never into HTML). */
export function setTerminalText(element: HTMLElement, raw: string) {
  shownText.set(element, raw);
  element.textContent = '';
  for (const piece of styledPieces(raw)) {
    const { fg, bg, bold } = piece.style;
    if (!fg && !bg && !bold) {
      element.append(document.createTextNode(piece.text));
      continue;
    }
    const span = document.createElement('span');
    span.textContent = piece.text;
    if (fg) span.style.color = fg;
    if (bg) span.style.backgroundColor = bg;
    if (bold) span.style.fontWeight = 'bold';
    element.append(span);
  }
}
