/**
 * What the sessions need of a browser, for node's test runner: a socket the test drives (opens, answers, drops), and
 * `window`, `sessionStorage` and page events as the sessions use them. Timers are node's own (the tests mock them).
 */
import type { SocketLike } from '../src/reconnect';

export class FakeSocket implements SocketLike {
  readyState = 0;
  onopen: ((event: Event) => void) | null = null;
  onmessage: ((event: MessageEvent) => void) | null = null;
  onclose: ((event: CloseEvent) => void) | null = null;
  readonly sent: string[] = [];
  closedWith?: { code: number; reason: string };

  constructor(readonly path: string) {}

  /** The handshake succeeded. */
  accept() {
    this.readyState = 1;
    this.onopen?.(new Event('open'));
  }

  /** A frame from the server (an object is sent as JSON, a string as it is). */
  receive(message: object | string) {
    const data = typeof message == 'string' ? message : JSON.stringify(message);
    this.onmessage?.({ data } as MessageEvent);
  }

  /** The connection ends from the server's side (or the network's). */
  drop(code = 1006, reason = '') {
    if (this.readyState == 3) return;
    this.readyState = 3;
    this.onclose?.({ code, reason } as CloseEvent);
  }

  send(data: string) {
    if (this.readyState != 1) throw new Error('send on a socket that is not open');
    this.sent.push(data);
  }

  /** A close from the client: a browser answers with onclose once the closing handshake is done. */
  close(code = 1000, reason = '') {
    if (this.readyState >= 2) return;
    this.closedWith = { code, reason };
    this.readyState = 2;
    queueMicrotask(() => this.drop(code, reason));
  }

  /** What the client sent, parsed. */
  messages(): { type: string; [field: string]: unknown }[] {
    return this.sent.map(s => JSON.parse(s));
  }

  last(type: string): { type: string; [field: string]: unknown } | undefined {
    return this.messages().filter(m => m.type == type).at(-1);
  }
}

/** Every socket a session opened, in order: `connect` for the session's options. */
export class FakeServer {
  readonly sockets: FakeSocket[] = [];
  signedIn: boolean | undefined = true;
  readonly connect = (path: string) => {
    const socket = new FakeSocket(path);
    this.sockets.push(socket);
    return socket;
  };
  readonly checkSignedIn = async () => this.signedIn;

  current(): FakeSocket {
    const socket = this.sockets.at(-1);
    if (!socket) throw new Error('no socket opened');
    return socket;
  }
}

class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length() { return this.items.size; }
  clear() { this.items.clear(); }
  getItem(key: string) { return this.items.get(key) ?? null; }
  key(index: number) { return [...this.items.keys()][index] ?? null; }
  removeItem(key: string) { this.items.delete(key); }
  setItem(key: string, value: string) { this.items.set(key, value); }
}

/** Installs `window` (the global object, with page events that do nothing) and a fresh sessionStorage. */
export function installBrowser() {
  Object.assign(globalThis, {
    window: globalThis,
    addEventListener: () => {},
    removeEventListener: () => {},
    sessionStorage: new MemoryStorage(),
  });
}

/** Lets promise callbacks run (a session's sign-in check). */
export async function settle() {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}
