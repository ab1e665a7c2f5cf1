/**
 * The notebook socket's messages (studio-server/.../notebook/PROTOCOL.md), both ways, and a parser that checks what
 * the server sends. Each cell's source travels as collab messages wrapped in `cell` (protocol/collab.ts).
 */
import { Fields, Json, Malformed, Parsed, Unknown, parseFrame, stringItem, unknown } from './check';
import { CollabClientMessage, CollabServerMessage, collabMessageAt } from './collab';

export type CellType = 'code' | 'markdown' | 'raw';
const CELL_TYPES = ['code', 'markdown', 'raw'] as const;

export type StructureOp =
  | { op: 'insert'; cell: string; type: CellType; after: string | null; source: string }
  | { op: 'delete'; cell: string }
  | { op: 'move'; cell: string; after: string | null }
  | { op: 'type'; cell: string; type: CellType };

/** nbformat 4.5's output objects, as the server records them (stream text is one string). */
export type Output =
  | { output_type: 'stream'; name: string; text: string }
  | { output_type: 'display_data' | 'execute_result'; data: { [mime: string]: Json }; metadata: { [key: string]: Json }; execution_count?: number | null }
  | { output_type: 'error'; ename: string; evalue: string; traceback: string[] };

export type RunStateName = 'queued' | 'running' | 'done' | 'error' | 'aborted' | 'lost';
const RUN_STATES = ['queued', 'running', 'done', 'error', 'aborted', 'lost'] as const;

/** A cell's latest run (RunState.java). */
export interface RunInfo {
  state: RunStateName;
  by: string;
  queuedAt?: number;
  startedAt?: number;
  endedAt?: number;
  executionCount?: number;
  detail?: string;
}

export interface KernelSpec {
  name: string;
  displayName: string;
  language: string;
}

/** KernelView.java: the kernel's state, which kernelspec, a sentence when something went wrong, what is offered. */
export interface KernelInfo {
  state: string;
  spec: string | null;
  displayName: string | null;
  language: string | null;
  detail: string | null;
  specs: KernelSpec[];
}

export interface Focus {
  clientId: string;
  name: string;
  colour: string;
  cell: string | null;
}

export interface WelcomeCell {
  id: string;
  type: CellType;
  deleted: boolean;
  outputs: Output[];
  executionCount: number | null;
  run: RunInfo | null;
}

// ---- client to server ----

export type NotebookClientMessage =
  | { type: 'hello'; clientId: string; cells: Record<string, number> }
  | { type: 'cell'; cell: string; message: CollabClientMessage }
  | { type: 'structure'; seq: number; op: StructureOp }
  | { type: 'run'; cells: string[] }
  | { type: 'interrupt' }
  | { type: 'restart' }
  | { type: 'kernel'; spec: string }
  | { type: 'rebuild'; dismiss: boolean }
  | { type: 'clear'; cells: string[] }
  | { type: 'complete'; request: string; code: string; cursor: number }
  | { type: 'inspect'; request: string; code: string; cursor: number }
  | { type: 'focus'; cell: string | null }
  | { type: 'ping' };

// ---- server to client ----

export interface NotebookWelcome {
  type: 'welcome';
  role: string;
  mayRun: boolean;
  name: string;
  version: number;
  accepted: number;
  cells: WelcomeCell[];
  kernel: KernelInfo;
  rebuild: string[];
  focus: Focus[];
}

export type NotebookServerMessage =
  | NotebookWelcome
  | { type: 'structure'; version: number; clientId: string; seq: number; op: StructureOp }
  | { type: 'cell'; cell: string; message: CollabServerMessage }
  | { type: 'outputs'; cell: string; outputs: Output[]; executionCount?: number | null }
  | { type: 'output'; cell: string; index: number; output: Output }
  | { type: 'stream'; cell: string; index: number; text: string }
  | { type: 'replace'; cell: string; index: number; output: Output }
  | { type: 'run'; cell: string; run: RunInfo | null; executionCount?: number | null }
  | { type: 'kernel'; kernel: KernelInfo }
  | { type: 'rebuild'; cells: string[] }
  | { type: 'focus'; clientId: string; name: string; colour: string; cell: string | null }
  | { type: 'completion'; request: string; matches: string[]; from: number; to: number }
  | { type: 'documentation'; request: string; found: boolean; text: string }
  | { type: 'pong' }
  | { type: 'error'; code: string; message: string }
  | { type: 'revoked' | 'closed'; message: string }
  | Unknown;

export function structureOp(value: unknown, at: string): StructureOp {
  const f = Fields.of(value, at);
  const op = f.oneOf('op', ['insert', 'delete', 'move', 'type'] as const);
  const cell = f.string('cell');
  switch (op) {
    case 'insert':
      return { op, cell, type: f.oneOf('type', CELL_TYPES), after: f.nullableString('after'), source: f.optString('source') ?? '' };
    case 'delete':
      return { op, cell };
    case 'move':
      return { op, cell, after: f.nullableString('after') };
    case 'type':
      return { op, cell, type: f.oneOf('type', CELL_TYPES) };
  }
}

/** nbformat allows a multiline string as a list of lines; the server sends one string, and either is read. */
function multiline(f: Fields, name: string): string {
  const value = f.raw[name];
  if (Array.isArray(value)) return f.array(name, stringItem).join('');
  return f.optString(name) ?? '';
}

export function output(value: unknown, at: string): Output {
  const f = Fields.of(value, at);
  const type = f.string('output_type');
  switch (type) {
    case 'stream':
      return { output_type: type, name: f.string('name'), text: multiline(f, 'text') };
    case 'display_data':
    case 'execute_result':
      return {
        output_type: type, data: f.has('data') ? f.object('data').raw : {},
        metadata: f.has('metadata') ? f.object('metadata').raw : {},
        execution_count: f.has('execution_count') ? f.int('execution_count') : null,
      };
    case 'error':
      return {
        output_type: type, ename: f.optString('ename') ?? '', evalue: f.optString('evalue') ?? '',
        traceback: f.optArray('traceback', stringItem),
      };
    default:
      throw new Malformed(`${at}.output_type "${type}" is not stream, display_data, execute_result or error`);
  }
}

function optionalNumber(f: Fields, name: string): number | undefined {
  return f.has(name) ? f.number(name) : undefined;
}

export function runInfo(value: unknown, at: string): RunInfo {
  const f = Fields.of(value, at);
  return {
    state: f.oneOf('state', RUN_STATES), by: f.optString('by') ?? '', queuedAt: optionalNumber(f, 'queuedAt'),
    startedAt: optionalNumber(f, 'startedAt'), endedAt: optionalNumber(f, 'endedAt'),
    executionCount: f.optInt('executionCount'), detail: f.optString('detail'),
  };
}

function kernelSpec(value: unknown, at: string): KernelSpec {
  const f = Fields.of(value, at);
  return { name: f.string('name'), displayName: f.optString('displayName') ?? f.string('name'), language: f.optString('language') ?? '' };
}

export function kernelInfo(value: unknown, at: string): KernelInfo {
  const f = Fields.of(value, at);
  return {
    state: f.string('state'), spec: f.nullableString('spec'), displayName: f.nullableString('displayName'),
    language: f.nullableString('language'), detail: f.nullableString('detail'), specs: f.optArray('specs', kernelSpec),
  };
}

function focus(value: unknown, at: string): Focus {
  const f = Fields.of(value, at);
  return { clientId: f.string('clientId'), name: f.optString('name') ?? '', colour: f.optString('colour') ?? '', cell: f.nullableString('cell') };
}

function welcomeCell(value: unknown, at: string): WelcomeCell {
  const f = Fields.of(value, at);
  const deleted = f.flag('deleted');
  return {
    id: f.string('id'), type: deleted && !f.has('type') ? 'code' : f.oneOf('type', CELL_TYPES), deleted,
    outputs: f.optArray('outputs', output), executionCount: f.nullableInt('executionCount'),
    run: f.has('run') ? runInfo(f.raw.run, `${at}.run`) : null,
  };
}

/** An execution count that may be absent (leave it), null (none) or a number. */
function executionCount(f: Fields): number | null | undefined {
  if (!('executionCount' in f.raw)) return undefined;
  return f.nullableInt('executionCount');
}

function read(f: Fields, type: string): NotebookServerMessage {
  switch (type) {
    case 'welcome':
      return {
        type, role: f.string('role'), mayRun: f.flag('mayRun'), name: f.optString('name') ?? '', version: f.int('version'),
        accepted: f.optInt('accepted') ?? 0, cells: f.array('cells', welcomeCell), kernel: kernelInfo(f.raw.kernel, `${f.at}.kernel`),
        rebuild: f.optArray('rebuild', stringItem), focus: f.optArray('focus', focus),
      };
    case 'structure':
      return { type, version: f.int('version'), clientId: f.string('clientId'), seq: f.int('seq'), op: structureOp(f.raw.op, `${f.at}.op`) };
    case 'cell':
      return { type, cell: f.string('cell'), message: collabMessageAt(f.raw.message, `${f.at}.message`) };
    case 'outputs':
      return { type, cell: f.string('cell'), outputs: f.array('outputs', output), executionCount: executionCount(f) };
    case 'output':
      return { type, cell: f.string('cell'), index: f.int('index'), output: output(f.raw.output, `${f.at}.output`) };
    case 'stream':
      return { type, cell: f.string('cell'), index: f.int('index'), text: f.string('text') };
    case 'replace':
      return { type, cell: f.string('cell'), index: f.int('index'), output: output(f.raw.output, `${f.at}.output`) };
    case 'run':
      return { type, cell: f.string('cell'), run: f.has('run') ? runInfo(f.raw.run, `${f.at}.run`) : null, executionCount: executionCount(f) };
    case 'kernel':
      return { type, kernel: kernelInfo(f.raw.kernel, `${f.at}.kernel`) };
    case 'rebuild':
      return { type, cells: f.optArray('cells', stringItem) };
    case 'focus':
      return { type, ...focus(f.raw, f.at) };
    case 'completion':
      return { type, request: f.string('request'), matches: f.array('matches', stringItem), from: f.int('from'), to: f.int('to') };
    case 'documentation':
      return { type, request: f.string('request'), found: f.flag('found'), text: f.optString('text') ?? '' };
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

/** A text frame of the notebook socket. */
export function parseNotebookMessage(data: string): Parsed<NotebookServerMessage> {
  return parseFrame(data, read);
}

