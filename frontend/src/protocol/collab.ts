/**
 * The collab socket's messages (collab/PROTOCOL.md), both ways, and a parser that checks what the server sends.
 * The notebook socket carries the same messages for each cell's source (protocol/notebook.ts).
 */
import { Fields, Json, Parsed, Unknown, parseFrame, stringItem, unknown } from './check';

/** One accepted or pending change: CodeMirror ChangeSet JSON (`[5, [0, "inserted"], 3]`) and who made it. */
export interface UpdateJson {
  clientId: string;
  changes: Json;
}

export interface Limits {
  maxChangeChars: number;
  maxDocumentChars: number;
  maxFrameBytes: number;
}

/** A participant as presence sends it: whole when they joined, only `clientId` and positions when they moved. */
export interface ParticipantJson {
  clientId: string;
  name?: string;
  colour?: string;
  role?: string;
  anchor: number;
  head: number;
}

// ---- client to server ----

export type CollabClientMessage =
  | { type: 'hello'; clientId: string; version?: number }
  | { type: 'push'; version: number; updates: UpdateJson[] }
  | { type: 'pull'; version: number }
  | { type: 'cursor'; version: number; anchor: number; head: number }
  | { type: 'ping' };

// ---- server to client ----

interface WelcomeBase {
  type: 'welcome';
  role: string;
  name?: string;
  colour?: string;
  limits?: Limits;
}

/** The answer to a hello with a version the server still keeps: what was missed. */
export interface WelcomeUpdates extends WelcomeBase {
  from: number;
  updates: UpdateJson[];
}

/** The answer to a first hello (or one too old): the whole text. */
export interface WelcomeText extends WelcomeBase {
  version: number;
  text: string;
  accepted: number;
}

export type Welcome = WelcomeUpdates | WelcomeText;

export type CollabServerMessage =
  | Welcome
  | { type: 'updates'; from: number; updates: UpdateJson[] }
  | { type: 'resync'; version: number; text: string; accepted: number }
  | { type: 'pushed'; ok: true; version: number; rebased: boolean }
  | { type: 'pushed'; ok: false; reason: 'stale'; version?: number }
  | { type: 'pushed'; ok: false; reason: 'refused'; message: string }
  | { type: 'presence'; version: number; participants: ParticipantJson[]; left: string[]; full: boolean }
  | { type: 'pong' }
  | { type: 'error'; code: string; message: string }
  | { type: 'revoked' | 'closed'; message: string }
  | Unknown;

export function isTextWelcome(welcome: Welcome): welcome is WelcomeText {
  return 'text' in welcome;
}

function update(value: unknown, at: string): UpdateJson {
  const f = Fields.of(value, at);
  return { clientId: f.string('clientId'), changes: f.json('changes') };
}

function participant(value: unknown, at: string): ParticipantJson {
  const f = Fields.of(value, at);
  return {
    clientId: f.string('clientId'), name: f.optString('name'), colour: f.optString('colour'), role: f.optString('role'),
    anchor: f.int('anchor'), head: f.int('head'),
  };
}

function limits(f: Fields): Limits {
  return { maxChangeChars: f.int('maxChangeChars'), maxDocumentChars: f.int('maxDocumentChars'), maxFrameBytes: f.int('maxFrameBytes') };
}

function read(f: Fields, type: string): CollabServerMessage {
  switch (type) {
    case 'welcome': {
      const base: WelcomeBase = {
        type, role: f.string('role'), name: f.optString('name'), colour: f.optString('colour'),
        limits: f.has('limits') ? limits(f.object('limits')) : undefined,
      };
      if (f.has('updates')) return { ...base, from: f.int('from'), updates: f.array('updates', update) };
      return { ...base, version: f.int('version'), text: f.string('text'), accepted: f.optInt('accepted') ?? 0 };
    }
    case 'updates':
      return { type, from: f.int('from'), updates: f.array('updates', update) };
    case 'resync':
      return { type, version: f.int('version'), text: f.string('text'), accepted: f.optInt('accepted') ?? 0 };
    case 'pushed': {
      if (f.boolean('ok')) return { type, ok: true, version: f.int('version'), rebased: f.flag('rebased') };
      const reason = f.oneOf('reason', ['stale', 'refused'] as const);
      return reason == 'stale' ? { type, ok: false, reason, version: f.optInt('version') }
        : { type, ok: false, reason, message: f.optString('message') ?? 'The server refused the change.' };
    }
    case 'presence':
      return {
        type, version: f.int('version'), participants: f.optArray('participants', participant),
        left: f.optArray('left', stringItem), full: f.flag('full'),
      };
    case 'pong':
      return { type };
    case 'error':
      return { type, code: f.string('code'), message: f.optString('message') ?? '' };
    case 'revoked':
    case 'closed':
      return { type, message: f.optString('message') ?? '' };
    default:
      return unknown(type);
  }
}

/** A text frame of the collab socket. */
export function parseCollabMessage(data: string): Parsed<CollabServerMessage> {
  return parseFrame(data, read);
}

/** A collab message already parsed as JSON (inside a notebook's `cell` message); throws Malformed. */
export function collabMessageAt(value: unknown, at: string): CollabServerMessage {
  const f = Fields.of(value, at);
  return read(f, f.string('type'));
}
