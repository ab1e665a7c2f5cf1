import { LitElement, html, PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';

/**
 * <kiln-terminal url="/terminal/<studio>?name=1">: a shell on the studio's machine, shared live with everyone in the
 * studio (the server fans one shell out to every viewer and replays recent output to newcomers). It reconnects by
 * itself; keystrokes of view-only members are ignored by the server. Renders in the light DOM so xterm's stylesheet
 * applies.
 */
@customElement('kiln-terminal')
export class KilnTerminal extends LitElement {
  @property({ type: String }) url = '';
  @state() private status = 'Connecting…';

  private term?: Terminal;
  private fit?: FitAddon;
  private ws?: WebSocket;
  private retry = 500;
  private closedByUs = false;
  private resizeObserver?: ResizeObserver;

  protected createRenderRoot() {
    return this;
  }

  render() {
    return html`<div class="kiln-terminal-status" ?hidden=${!this.status}>${this.status}</div>
      <div class="kiln-terminal-host"></div>`;
  }

  protected firstUpdated(_changed: PropertyValues) {
    this.term = new Terminal({
      fontFamily: "ui-monospace, 'JetBrains Mono', Menlo, Consolas, monospace",
      fontSize: 13,
      cursorBlink: true,
      scrollback: 5000,
      theme: { background: '#1e1e1e' },
    });
    this.fit = new FitAddon();
    this.term.loadAddon(this.fit);
    this.term.open(this.querySelector('.kiln-terminal-host') as HTMLElement);
    this.term.onData((data) => this.send({ type: 'input', data }));
    this.resizeObserver = new ResizeObserver(() => this.refit());
    this.resizeObserver.observe(this);
    this.connect();
  }

  /** Text currently on screen (for tests and for copying): the visible rows, trimmed. */
  screenText(): string {
    const buffer = this.term?.buffer.active;
    if (!buffer) return '';
    const lines: string[] = [];
    for (let i = 0; i < buffer.length; i++) {
      lines.push(buffer.getLine(i)?.translateToString(true) ?? '');
    }
    return lines.join('\n').trimEnd();
  }

  focusTerminal() {
    this.term?.focus();
  }

  disconnectedCallback() {
    super.disconnectedCallback();
    this.closedByUs = true;
    this.resizeObserver?.disconnect();
    this.ws?.close();
    this.term?.dispose();
  }

  private refit() {
    if (!this.term || !this.fit || this.offsetParent === null) return;
    try {
      this.fit.fit();
    } catch {
      return; // not laid out yet
    }
    this.send({ type: 'resize', cols: this.term.cols, rows: this.term.rows });
  }

  private connect() {
    if (!this.url) return;
    const scheme = location.protocol == 'https:' ? 'wss' : 'ws';
    const ws = new WebSocket(`${scheme}://${location.host}${this.url}`);
    this.ws = ws;
    let replayed = false;
    let opened = false;
    ws.onopen = () => {
      opened = true;
      this.retry = 500;
      this.status = '';
      this.refit();
    };
    ws.onmessage = (event) => {
      const message = JSON.parse(event.data);
      if (message.type == 'output') {
        if (!replayed) {
          // A reconnect replays the scrollback: start from a clean screen so nothing shows twice.
          this.term?.reset();
          replayed = true;
        }
        this.term?.write(message.data);
      } else if (message.type == 'status') {
        this.status = message.text;
      }
    };
    ws.onclose = (event) => {
      if (this.closedByUs) return;
      if (event.code == 4403) {
        // The owner revoked the link (or it expired): reconnecting would only be refused.
        this.status = 'Your access to this studio ended; the terminal is closed.';
        return;
      }
      this.status = 'Disconnected; reconnecting…';
      const again = () => {
        setTimeout(() => this.connect(), this.retry);
        this.retry = Math.min(this.retry * 2, 10000);
      };
      if (opened) return again();
      // The handshake failed. If that is a 401 (the session ended), reconnecting would be refused for ever: say so.
      fetch('/api/studios/csrf', { credentials: 'same-origin', cache: 'no-store' }).then(response => {
        if (this.closedByUs) return;
        if (response.status == 401) this.status = 'You were signed out; reload the page to sign in again.';
        else again();
      }, () => { if (!this.closedByUs) again(); });
    };
  }

  private send(message: object) {
    if (this.ws?.readyState == WebSocket.OPEN) {
      this.ws.send(JSON.stringify(message));
    }
  }
}
