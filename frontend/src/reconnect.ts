/**
 * The reconnect loop the collab, notebook and terminal sockets share: open, and after a loss open again with a
 * doubling delay (500 ms up to a limit), until the server ends the connection for good (4403: access revoked; 4404:
 * closed on the server), the owner closes it, or the sign-in session ended. A browser does not say why a handshake
 * failed, so when a socket closes without ever opening, the loop asks `GET /api/studios/csrf`: a 401 there means
 * signed out, and retrying would be refused for ever.
 */

/** The part of a WebSocket the loop uses (a test hands in its own). */
export interface SocketLike {
  readonly readyState: number;
  onopen: ((event: Event) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onclose: ((event: CloseEvent) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

/** WebSocket.OPEN, without needing the WebSocket class. */
export const SOCKET_OPEN = 1;

/** What the owner of a socket hears. */
export interface ReconnectHost {
  /** A connection opened: say hello. */
  opened(): void;
  /** A text frame arrived. */
  received(data: string): void;
  /** The connection was lost; another attempt follows by itself. */
  lost(): void;
  /** The server ended the connection (4403 or 4404, with its reason): no other attempt follows. */
  ended(code: 4403 | 4404, reason: string): void;
  /** A handshake failed and the server says the sign-in session ended: no other attempt follows. */
  signedOut(): void;
}

export interface ReconnectOptions {
  /** The longest wait between attempts, in ms. */
  maxDelayMs?: number;
  /** Opens a socket to a path on this server (default: a WebSocket on the page's host). */
  connect?: (path: string) => SocketLike;
  /** true: signed in; false: the server answers 401; undefined: it could not be reached. */
  signedIn?: () => Promise<boolean | undefined>;
}

export const FIRST_DELAY_MS = 500;

export function pageSocket(path: string): SocketLike {
  const scheme = location.protocol == 'https:' ? 'wss' : 'ws';
  return new WebSocket(`${scheme}://${location.host}${path}`);
}

export async function checkSignedIn(): Promise<boolean | undefined> {
  try {
    const response = await fetch('/api/studios/csrf', { credentials: 'same-origin', cache: 'no-store' });
    return response.status == 401 ? false : response.ok ? true : undefined;
  } catch {
    return undefined;
  }
}

export class ReconnectingSocket {
  private socket?: SocketLike;
  private delay = FIRST_DELAY_MS;
  private timer?: ReturnType<typeof setTimeout>;
  private stopped = false;
  private readonly maxDelay: number;
  private readonly connect: (path: string) => SocketLike;
  private readonly signedIn: () => Promise<boolean | undefined>;

  constructor(private readonly path: string, private readonly host: ReconnectHost, options: ReconnectOptions = {}) {
    this.maxDelay = options.maxDelayMs ?? 5000;
    this.connect = options.connect ?? pageSocket;
    this.signedIn = options.signedIn ?? checkSignedIn;
  }

  /** Opens the first connection (or a new one at once, dropping the current one: `reason` says why). */
  open(reason?: string) {
    clearTimeout(this.timer);
    const old = this.socket;
    this.socket = undefined;
    old?.close(1000, reason ?? 'opening again');
    if (this.stopped) return;
    const socket = this.connect(this.path);
    this.socket = socket;
    let opened = false;
    socket.onopen = () => {
      opened = true;
      if (this.socket === socket) this.host.opened();
    };
    socket.onmessage = event => {
      if (this.socket === socket) this.host.received(String(event.data));
    };
    socket.onclose = event => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      if (event.code == 4403 || event.code == 4404) {
        this.stopped = true;
        this.host.ended(event.code, event.reason);
        return;
      }
      if (this.stopped) return;
      this.host.lost();
      if (opened) return this.again();
      this.signedIn().then(signedIn => {
        if (this.stopped || this.socket) return;
        if (signedIn === false) {
          this.stopped = true;
          this.host.signedOut();
        } else {
          this.again();
        }
      });
    };
  }

  /** The server welcomed this connection: the next loss is retried quickly again. */
  connected() {
    this.delay = FIRST_DELAY_MS;
  }

  isOpen(): boolean {
    return this.socket?.readyState === SOCKET_OPEN;
  }

  /** Sends when open; false when the text was not sent. */
  send(text: string): boolean {
    if (!this.isOpen()) return false;
    this.socket!.send(text);
    return true;
  }

  /** Drops the current connection; the loop opens a new one (for a client that found itself out of step). */
  restart(code: number, reason: string) {
    this.socket?.close(code, reason);
  }

  /** Ends the loop: no other attempt follows. */
  close(reason: string) {
    this.stopped = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = undefined;
    socket?.close(1000, reason);
  }

  /** The loop ended for good (closed here, by the server, or signed out). */
  isStopped(): boolean {
    return this.stopped;
  }

  private again() {
    this.timer = setTimeout(() => this.open(), this.delay);
    this.delay = Math.min(this.delay * 2, this.maxDelay);
  }
}
