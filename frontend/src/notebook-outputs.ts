import DOMPurify from 'dompurify';
import { marked } from 'marked';
import './kiln-chart';
import type { KilnChart } from './kiln-chart';
import type { Json } from './protocol/check';
import type { Output } from './protocol/notebook';

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

// ---- terminal text: ANSI colours and carriage returns ----

const COLOURS = ['#000000', '#c62828', '#2e7d32', '#f9a825', '#1565c0', '#6a1b9a', '#00838f', '#bdbdbd'];
const BRIGHT = ['#616161', '#ef5350', '#66bb6a', '#fdd835', '#42a5f5', '#ab47bc', '#26c6da', '#ffffff'];

/** The text a terminal would show: after a lone \r the line starts over; a backspace takes one character back. */
export function terminalLines(text: string): string {
  const out: string[] = [];
  let line = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c == '\n') {
      out.push(line);
      line = '';
    } else if (c == '\r') {
      if (text[i + 1] == '\n') continue;
      line = '';
    } else if (c == '\b') {
      line = line.slice(0, -1);
    } else {
      line += c;
    }
  }
  out.push(line);
  return out.join('\n');
}

/** Fills an element with text, ANSI SGR colours turned into styled spans (never into HTML). */
export function setTerminalText(element: HTMLElement, raw: string) {
  shownText.set(element, raw);
  element.textContent = '';
  const text = terminalLines(raw);
  const pattern = /\u001b\[([0-9;]*)m/g;
  let style: { fg?: string; bg?: string; bold?: boolean } = {};
  let last = 0;
  const add = (piece: string) => {
    if (!piece) return;
    if (!style.fg && !style.bg && !style.bold) {
      element.append(document.createTextNode(piece));
      return;
    }
    const span = document.createElement('span');
    span.textContent = piece;
    if (style.fg) span.style.color = style.fg;
    if (style.bg) span.style.backgroundColor = style.bg;
    if (style.bold) span.style.fontWeight = 'bold';
    element.append(span);
  };
  let match: RegExpExecArray | null;
  while ((match = pattern.exec(text))) {
    add(text.slice(last, match.index));
    last = pattern.lastIndex;
    const codes = match[1] === '' ? [0] : match[1].split(';').map(Number);
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i];
      if (code == 0) style = {};
      else if (code == 1) style = { ...style, bold: true };
      else if (code == 22) style = { ...style, bold: false };
      else if (code >= 30 && code <= 37) style = { ...style, fg: COLOURS[code - 30] };
      else if (code >= 90 && code <= 97) style = { ...style, fg: BRIGHT[code - 90] };
      else if (code >= 40 && code <= 47) style = { ...style, bg: COLOURS[code - 40] };
      else if (code >= 100 && code <= 107) style = { ...style, bg: BRIGHT[code - 100] };
      else if (code == 39) style = { ...style, fg: undefined };
      else if (code == 49) style = { ...style, bg: undefined };
      else if ((code == 38 || code == 48) && codes[i + 1] == 5) {
        const colour = xterm256(codes[i + 2] ?? 0);
        style = code == 38 ? { ...style, fg: colour } : { ...style, bg: colour };
        i += 2;
      } else if ((code == 38 || code == 48) && codes[i + 1] == 2) {
        const colour = `rgb(${codes[i + 2] ?? 0},${codes[i + 3] ?? 0},${codes[i + 4] ?? 0})`;
        style = code == 38 ? { ...style, fg: colour } : { ...style, bg: colour };
        i += 4;
      }
    }
  }
  add(text.slice(last).replace(/\u001b\[[0-9;?]*[A-Za-z]/g, ''));
}

function xterm256(n: number): string {
  if (n < 8) return COLOURS[n];
  if (n < 16) return BRIGHT[n - 8];
  if (n < 232) {
    const v = n - 16;
    const level = (x: number) => (x == 0 ? 0 : 55 + x * 40);
    return `rgb(${level(Math.floor(v / 36))},${level(Math.floor(v / 6) % 6)},${level(v % 6)})`;
  }
  const grey = 8 + (n - 232) * 10;
  return `rgb(${grey},${grey},${grey})`;
}
