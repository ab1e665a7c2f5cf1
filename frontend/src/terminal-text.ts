/**
 * Terminal text as a notebook output shows it, without the DOM: carriage returns (a progress line redrawn in place),
 * backspaces, and ANSI SGR colours as styled pieces of plain text (never HTML).
 */

const COLOURS = ['#000000', '#c62828', '#2e7d32', '#f9a825', '#1565c0', '#6a1b9a', '#00838f', '#bdbdbd'];
const BRIGHT = ['#616161', '#ef5350', '#66bb6a', '#fdd835', '#42a5f5', '#ab47bc', '#26c6da', '#ffffff'];

export interface TextStyle {
  fg?: string;
  bg?: string;
  bold?: boolean;
}

export interface StyledPiece {
  text: string;
  style: TextStyle;
}

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

/** The shown text in pieces of one style each (empty pieces left out); other escape sequences at the end dropped. */
export function styledPieces(raw: string): StyledPiece[] {
  const pieces: StyledPiece[] = [];
  const text = terminalLines(raw);
  const pattern = /\u001b\[([0-9;]*)m/g;
  let style: TextStyle = {};
  let last = 0;
  const add = (piece: string) => {
    if (piece) pieces.push({ text: piece, style });
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
  return pieces;
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
