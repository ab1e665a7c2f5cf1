/**
 * A notebook's list of cells and the ops that change it, as the server keeps them (CellList.java, StructureOp.java):
 * ops name cells by id, deleted cells stay as tombstones while the notebook is live, and an op that no longer fits
 * does nothing. StructureState is the browser's view (StructureClient.java does the same in Java): the list the
 * server confirmed, with this browser's unconfirmed ops replayed on top.
 */
import type { CellType, StructureOp } from './protocol/notebook';

export type { CellType, StructureOp };

export interface Entry {
  id: string;
  type: CellType;
  deleted: boolean;
}

/** Applies an op to a list in place; true when it changed it. */
export function applyOp(entries: Entry[], op: StructureOp): boolean {
  const index = (id: string) => entries.findIndex(e => e.id == id);
  const position = (after: string | null) => {
    if (after == null) return 0;
    const i = index(after);
    return i < 0 ? entries.length : i + 1;
  };
  switch (op.op) {
    case 'insert': {
      if (index(op.cell) >= 0) return false;
      entries.splice(position(op.after), 0, { id: op.cell, type: op.type, deleted: false });
      return true;
    }
    case 'delete': {
      const i = index(op.cell);
      if (i < 0 || entries[i].deleted) return false;
      entries[i] = { ...entries[i], deleted: true };
      return true;
    }
    case 'move': {
      const i = index(op.cell);
      if (i < 0 || entries[i].deleted || op.cell == op.after || (op.after != null && index(op.after) < 0)) return false;
      const [entry] = entries.splice(i, 1);
      entries.splice(position(op.after), 0, entry);
      return true;
    }
    case 'type': {
      const i = index(op.cell);
      if (i < 0 || entries[i].deleted || entries[i].type == op.type) return false;
      entries[i] = { ...entries[i], type: op.type };
      return true;
    }
  }
}

export interface Pending {
  seq: number;
  op: StructureOp;
}

export class StructureState {
  private confirmed: Entry[] = [];
  private pendingOps: Pending[] = [];
  private nextSeq = 1;
  version = 0;

  constructor(private readonly clientId: string) {}

  /** The server's list on (re)connecting; ops it already has (seq up to accepted) leave the pending list. */
  welcome(entries: Entry[], version: number, accepted: number) {
    this.confirmed = entries.map(e => ({ ...e }));
    this.version = version;
    this.pendingOps = this.pendingOps.filter(p => p.seq > accepted);
    this.nextSeq = Math.max(this.nextSeq, accepted + 1);
  }

  local(op: StructureOp): Pending {
    const pending = { seq: this.nextSeq++, op };
    this.pendingOps.push(pending);
    return pending;
  }

  /** An op from the server; false on a gap (the connection must start over). */
  receive(version: number, op: StructureOp, from: string, seq: number): boolean {
    if (version <= this.version) return true;
    if (version != this.version + 1) return false;
    applyOp(this.confirmed, op);
    this.version = version;
    if (from == this.clientId) this.pendingOps = this.pendingOps.filter(p => p.seq > seq);
    return true;
  }

  shown(): Entry[] {
    const list = this.confirmed.map(e => ({ ...e }));
    for (const p of this.pendingOps) applyOp(list, p.op);
    return list;
  }

  visible(): Entry[] {
    return this.shown().filter(e => !e.deleted);
  }

  pending(): Pending[] {
    return [...this.pendingOps];
  }
}
