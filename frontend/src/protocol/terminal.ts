/**
 * The terminal socket's messages (`/terminal/{studio}?name=N`, TerminalSocket.java): keystrokes and the window's size
 * in, the shell's output and a status line out.
 */
import { Parsed, Unknown, parseFrame, unknown } from './check';

export type TerminalClientMessage =
  | { type: 'input'; data: string }
  | { type: 'resize'; cols: number; rows: number };

export type TerminalServerMessage =
  | { type: 'output'; data: string }
  /** Shown above the terminal; empty: nothing to say. */
  | { type: 'status'; text: string }
  | Unknown;

export function parseTerminalMessage(data: string): Parsed<TerminalServerMessage> {
  return parseFrame(data, (f, type): TerminalServerMessage => {
    switch (type) {
      case 'output': return { type, data: f.string('data') };
      case 'status': return { type, text: f.optString('text') ?? '' };
      default: return unknown(type);
    }
  });
}

/** The server takes text frames up to 64 Ki characters (TerminalSocket: a larger one closes the socket with 1009). */
export const MAX_FRAME_CHARS = 64 * 1024;

/**
 * Input as frames that each fit the server's limit once encoded, so a large paste arrives whole, in order, instead of
 * closing the connection. Splits never fall inside a surrogate pair (the shell would get half a character).
 */
export function inputFrames(data: string, maxFrameChars = MAX_FRAME_CHARS): string[] {
  const frames: string[] = [];
  const overhead = JSON.stringify({ type: 'input', data: '' }).length;
  const budget = maxFrameChars - overhead;
  if (budget < 12) throw new Error('frame limit too small');
  let start = 0;
  while (start < data.length) {
    let end = start;
    let size = 0;
    while (end < data.length) {
      const pair = isHighSurrogate(data.charCodeAt(end)) && end + 1 < data.length ? 2 : 1;
      const piece = JSON.stringify(data.slice(end, end + pair)).length - 2;
      if (size + piece > budget) break;
      size += piece;
      end += pair;
    }
    frames.push(JSON.stringify({ type: 'input', data: data.slice(start, end) } satisfies TerminalClientMessage));
    start = end;
  }
  return frames;
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * The terminal's size as the server last heard it: a resize frame only when the size changed, or when the connection
 * is new (the shell may have been resized by someone else meanwhile). A 0 size (not laid out) is never sent.
 */
export class SizeReport {
  private sent?: string;

  /** The frame to send for this size, or undefined when the server already has it. */
  frame(cols: number, rows: number): string | undefined {
    if (!(cols > 0 && rows > 0)) return undefined;
    const frame = JSON.stringify({ type: 'resize', cols, rows } satisfies TerminalClientMessage);
    if (frame == this.sent) return undefined;
    this.sent = frame;
    return frame;
  }

  /** A new connection: the next size is sent whatever it is. */
  reconnected() {
    this.sent = undefined;
  }
}
