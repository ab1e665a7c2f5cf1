/**
 * Reading a JSON message whose shape is not known yet: each getter checks one field and throws `Malformed` with the
 * field's path, so a parse function reads like the message it expects and reports the first thing that does not fit.
 */

export class Malformed extends Error {}

/** A message that fit, or what was wrong with it (the components log it and go on). */
export type Parsed<T> = { ok: true; message: T } | { ok: false; problem: string };

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A JSON object's fields, read with checks. `at` names it in problems ("welcome.limits"). */
export class Fields {
  constructor(readonly raw: { [key: string]: Json }, readonly at: string) {}

  static of(value: unknown, at: string): Fields {
    if (typeof value != 'object' || value === null || Array.isArray(value)) throw new Malformed(`${at} is not an object`);
    return new Fields(value as { [key: string]: Json }, at);
  }

  has(name: string): boolean {
    return this.raw[name] !== undefined && this.raw[name] !== null;
  }

  string(name: string): string {
    const value = this.raw[name];
    if (typeof value != 'string') throw this.wrong(name, 'a string');
    return value;
  }

  optString(name: string): string | undefined {
    return this.has(name) ? this.string(name) : undefined;
  }

  /** A string or null (absent counts as null). */
  nullableString(name: string): string | null {
    return this.has(name) ? this.string(name) : null;
  }

  number(name: string): number {
    const value = this.raw[name];
    if (typeof value != 'number' || !Number.isFinite(value)) throw this.wrong(name, 'a number');
    return value;
  }

  int(name: string): number {
    const value = this.number(name);
    if (!Number.isInteger(value)) throw this.wrong(name, 'an integer');
    return value;
  }

  optInt(name: string): number | undefined {
    return this.has(name) ? this.int(name) : undefined;
  }

  nullableInt(name: string): number | null {
    return this.has(name) ? this.int(name) : null;
  }

  boolean(name: string): boolean {
    const value = this.raw[name];
    if (typeof value != 'boolean') throw this.wrong(name, 'true or false');
    return value;
  }

  /** Absent is false. */
  flag(name: string): boolean {
    return this.has(name) ? this.boolean(name) : false;
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T {
    const value = this.string(name);
    if (!(values as readonly string[]).includes(value)) throw this.wrong(name, 'one of ' + values.join(', '));
    return value as T;
  }

  object(name: string): Fields {
    return Fields.of(this.raw[name], `${this.at}.${name}`);
  }

  /** Any JSON value there (a ChangeSet, an nbformat output: checked by whoever reads it). */
  json(name: string): Json {
    if (!(name in this.raw)) throw this.wrong(name, 'present');
    return this.raw[name];
  }

  array<T>(name: string, item: (value: unknown, at: string) => T): T[] {
    const value = this.raw[name];
    if (!Array.isArray(value)) throw this.wrong(name, 'an array');
    return value.map((v, i) => item(v, `${this.at}.${name}[${i}]`));
  }

  /** Absent is empty. */
  optArray<T>(name: string, item: (value: unknown, at: string) => T): T[] {
    return this.has(name) ? this.array(name, item) : [];
  }

  private wrong(name: string, expected: string): Malformed {
    return new Malformed(`${this.at}.${name} is not ${expected}`);
  }
}

export function stringItem(value: unknown, at: string): string {
  if (typeof value != 'string') throw new Malformed(`${at} is not a string`);
  return value;
}

export function objectItem(value: unknown, at: string): { [key: string]: Json } {
  return Fields.of(value, at).raw;
}

/** Parses a text frame: JSON, an object with a string `type`, then `read` by its type. */
export function parseFrame<T>(data: string, read: (fields: Fields, type: string) => T): Parsed<T> {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch {
    return { ok: false, problem: 'not JSON' };
  }
  return parseValue(value, 'message', read);
}

export function parseValue<T>(value: unknown, at: string, read: (fields: Fields, type: string) => T): Parsed<T> {
  try {
    const fields = Fields.of(value, at);
    return { ok: true, message: read(fields, fields.string('type')) };
  } catch (e) {
    if (e instanceof Malformed) return { ok: false, problem: e.message };
    throw e;
  }
}

/** Unknown types are not an error: a newer server may send more (the components ignore them). */
export interface Unknown {
  type: '(unknown)';
  was: string;
}

export function unknown(type: string): Unknown {
  return { type: '(unknown)', was: type };
}
