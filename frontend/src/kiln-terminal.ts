import { LitElement, html, PropertyValues } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';
import { Terminal } from '@xterm/xterm';
import { FitAddon } from '@xterm/addon-fit';
import '@xterm/xterm/css/xterm.css';
import { SizeReport, inputFrames, parseTerminalMessage } from './protocol/terminal';
import { ReconnectingSocket } from './reconnect';

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
  private socket?: ReconnectingSocket;
  private readonly size = new SizeReport();
  /** Whether the next output starts a connection's replay of the scrollback. */
  private replayed = false;
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
    // A paste can be larger than one frame may be: it goes as several, in order.
    this.term.onData((data) => inputFrames(data).forEach(frame => this.socket?.send(frame)));
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
    this.resizeObserver?.disconnect();
    this.socket?.close('terminal closed');
    this.term?.dispose();
  }

  private refit() {
    if (!this.term || !this.fit || this.offsetParent === null) return;
    try {
      this.fit.fit();
    } catch {
      return; // not laid out yet
    }
    const frame = this.size.frame(this.term.cols, this.term.rows);
    if (frame && !this.socket?.send(frame)) this.size.reconnected();
  }

  private connect() {
    if (!this.url) return;
    this.socket = new ReconnectingSocket(this.url, {
      opened: () => {
        this.socket?.connected();
        this.replayed = false;
        this.status = '';
        this.size.reconnected();
        this.refit();
      },
      received: data => {
        const parsed = parseTerminalMessage(data);
        if (!parsed.ok) {
          console.warn('Kiln terminal: ignored a malformed message:', parsed.problem);
          return;
        }
        const message = parsed.message;
        if (message.type == 'output') {
          if (!this.replayed) {
            // A reconnect replays the scrollback: start from a clean screen so nothing shows twice.
            this.term?.reset();
            this.replayed = true;
          }
          this.term?.write(message.data);
        } else if (message.type == 'status') {
          this.status = message.text;
        }
      },
      lost: () => { this.status = 'Disconnected; reconnecting…'; },
      // 4403: the owner revoked the link (or it expired): reconnecting would only be refused.
      ended: (code, reason) => {
        this.status = code == 4403 ? 'Your access to this studio ended; the terminal is closed.'
          : reason || 'The terminal was closed on the server.';
      },
      signedOut: () => { this.status = 'You were signed out; reload the page to sign in again.'; },
    }, { maxDelayMs: 10_000 });
    this.socket.open();
  }
}

