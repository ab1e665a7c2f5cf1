import { LitElement, html, css, nothing } from 'lit';
import { customElement, property, state } from 'lit/decorators.js';

/** One file being uploaded, as the list under the tree shows it. */
interface Upload {
  id: number;
  name: string;
  path: string;
  file: File;
  loaded: number;
  state: 'waiting' | 'uploading' | 'done' | 'failed' | 'exists';
  message: string;
}

/** A dropped or picked file and where under the target folder it goes (folders keep their structure). */
interface Picked {
  file: File;
  relative: string;
}

/**
 * <kiln-file-drop studio="<id>" target="workspace">: wraps the studio's file tree. Files and folders dropped on it
 * (on a folder row: into that folder) or picked with the buttons whose ids `pickers` names are uploaded with one
 * streamed PUT each, straight from disk, with their progress listed below the tree; a file that exists already asks
 * before it is replaced. When uploads end it fires `uploaded` so the tree reloads.
 */
@customElement('kiln-file-drop')
export class KilnFileDrop extends LitElement {
  @property({ type: String }) studio = '';
  /** The home-relative folder uploads go to when not dropped on a folder row. */
  @property({ type: String, reflect: true }) target = 'workspace';
  @property({ type: Number, attribute: 'max-bytes' }) maxBytes = 0;
  /** Ids of the buttons that pick files, and a folder: "files-id,folder-id". */
  @property({ type: String }) pickers = '';
  /** For people who may only view: nothing can be dropped (the server would refuse it anyway). */
  @property({ type: Boolean, reflect: true }) readonly = false;
  @state() private uploads: Upload[] = [];
  @state() private over = false;

  private nextId = 1;
  private running = 0;
  private finished = 0;
  private csrf?: Promise<{ headerName: string; token: string }>;

  static styles = css`
    :host { display: flex; flex-direction: column; min-height: 0; flex: 1; position: relative; }
    .zone { flex: 1; min-height: 0; display: flex; flex-direction: column; }
    .zone.over { outline: 2px dashed var(--lumo-primary-color, #1676f3); outline-offset: -4px;
      background: var(--lumo-primary-color-10pct, #e8f1fe); }
    .hint { position: absolute; inset: auto 8px 8px 8px; text-align: center; padding: 6px; border-radius: 6px;
      background: var(--lumo-primary-color, #1676f3); color: white; font: 13px/1.4 sans-serif; pointer-events: none; }
    .uploads { flex: none; max-height: 40%; overflow: auto; border-top: 1px solid var(--lumo-contrast-10pct, #ddd);
      font: 12px/1.5 var(--lumo-font-family, sans-serif); }
    .uploads header { display: flex; justify-content: space-between; padding: 2px 8px; color: #555; }
    .item { padding: 3px 8px; border-bottom: 1px solid var(--lumo-contrast-5pct, #eee); }
    .item .name { font-family: ui-monospace, Menlo, monospace; overflow: hidden; text-overflow: ellipsis;
      white-space: nowrap; }
    .item progress { width: 100%; height: 6px; }
    .item[data-state="failed"] .status { color: var(--lumo-error-text-color, #c62828); }
    .item[data-state="done"] .status { color: var(--lumo-success-text-color, #2e7d32); }
    button { font: inherit; margin-right: 4px; cursor: pointer; }
    input { display: none; }
  `;

  render() {
    const active = this.uploads.some((u) => u.state === 'waiting' || u.state === 'uploading');
    return html`
      <div class="zone ${this.over ? 'over' : ''}"><slot></slot></div>
      ${this.over ? html`<div class="hint">Drop to upload into ~/${this.dropLabel}</div>` : nothing}
      ${this.uploads.length === 0 ? nothing : html`
        <div class="uploads" id="upload-list">
          <header><span>${active ? 'Uploading…' : 'Uploads'}</span>
            ${active ? nothing : html`<button id="upload-clear" @click=${() => (this.uploads = [])}>Clear</button>`}
          </header>
          ${this.uploads.map((u) => this.renderItem(u))}
        </div>`}
      <input id="upload-input" type="file" multiple @change=${this.picked} />
      <input id="upload-folder-input" type="file" webkitdirectory @change=${this.picked} />
    `;
  }

  private dropLabel = '';

  private renderItem(u: Upload) {
    const total = u.file.size;
    const percent = total === 0 ? 100 : Math.floor((u.loaded / total) * 100);
    return html`<div class="item" data-state=${u.state} data-path=${u.path}>
      <div class="name" title=${'~/' + u.path}>${u.path}</div>
      ${u.state === 'uploading' || u.state === 'waiting'
        ? html`<progress max="100" value=${percent}></progress>` : nothing}
      <div class="status">${this.statusText(u, percent)}
        ${u.state === 'exists' ? html`
          <button class="replace" @click=${() => this.retry(u, true)}>Replace</button>
          <button class="skip" @click=${() => this.skip(u)}>Skip</button>` : nothing}
      </div>
    </div>`;
  }

  private statusText(u: Upload, percent: number): string {
    switch (u.state) {
      case 'waiting': return 'waiting';
      case 'uploading': return `${human(u.loaded)} of ${human(u.file.size)} · ${percent}%`;
      case 'done': return `uploaded, ${human(u.file.size)}`;
      default: return u.message;
    }
  }

  connectedCallback() {
    super.connectedCallback();
    this.addEventListener('dragenter', this.dragOver);
    this.addEventListener('dragover', this.dragOver);
    this.addEventListener('dragleave', this.dragLeave);
    this.addEventListener('drop', this.dropped);
    // The picker buttons are Vaadin buttons outside this element: open the chooser on their click itself, so the
    // browser sees the user's gesture (a round trip to the server would lose it).
    document.addEventListener('click', this.pickerClick, true);
  }

  disconnectedCallback() {
    document.removeEventListener('click', this.pickerClick, true);
    super.disconnectedCallback();
  }

  private readonly pickerClick = (e: Event) => {
    if (this.readonly) return;
    const [files, folder] = this.pickers.split(',');
    const hit = (e.target as Element | null)?.closest?.('[id]');
    if (!hit) return;
    if (files && hit.id === files) {
      (this.renderRoot.querySelector('#upload-input') as HTMLInputElement).click();
    } else if (folder && hit.id === folder) {
      (this.renderRoot.querySelector('#upload-folder-input') as HTMLInputElement).click();
    }
  };

  private readonly dragOver = (e: DragEvent) => {
    if (this.readonly) return;
    if (!e.dataTransfer || !Array.from(e.dataTransfer.types).includes('Files')) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
    this.dropLabel = this.folderAt(e);
    this.over = true;
  };

  private readonly dragLeave = (e: DragEvent) => {
    if (e.relatedTarget && this.contains(e.relatedTarget as Node)) return;
    this.over = false;
  };

  private readonly dropped = async (e: DragEvent) => {
    e.preventDefault();
    if (this.readonly) return;
    this.over = false;
    const folder = this.folderAt(e);
    const picked = await filesOf(e.dataTransfer);
    this.enqueue(picked, folder);
  };

  private picked(e: Event) {
    const input = e.target as HTMLInputElement;
    const picked: Picked[] = Array.from(input.files ?? []).map((file) => ({
      file,
      relative: (file as File & { webkitRelativePath?: string }).webkitRelativePath || file.name,
    }));
    this.enqueue(picked, this.target);
    input.value = '';
  }

  /** The folder under the pointer: a folder row, a file row's folder, or the selected target. */
  private folderAt(e: Event): string {
    for (const node of e.composedPath()) {
      const el = node as HTMLElement;
      if (el.getAttribute && el.hasAttribute('data-home')) {
        const path = el.getAttribute('data-home') ?? '';
        if (el.getAttribute('data-dir') === 'true') return path;
        return path.includes('/') ? path.substring(0, path.lastIndexOf('/')) : '';
      }
    }
    return this.target;
  }

  /** Uploads files into a folder (home-relative), keeping the dropped folders' structure. */
  enqueue(picked: Picked[], folder: string) {
    for (const p of picked) {
      const path = (folder ? folder + '/' : '') + p.relative;
      this.uploads = [...this.uploads, {
        id: this.nextId++, name: p.file.name, path, file: p.file, loaded: 0, state: 'waiting', message: '',
      }];
    }
    this.pump();
  }

  private pump() {
    while (this.running < 2) {
      const next = this.uploads.find((u) => u.state === 'waiting');
      if (!next) break;
      this.running++;
      this.upload(next, false).finally(() => {
        this.running--;
        this.pump();
        if (this.running === 0 && !this.uploads.some((u) => u.state === 'waiting')) {
          if (this.finished > 0) {
            this.dispatchEvent(new CustomEvent('uploaded', { detail: { count: this.finished } }));
          }
          this.finished = 0;
        }
      });
    }
  }

  private change(u: Upload, change: Partial<Upload>) {
    Object.assign(u, change);
    this.uploads = [...this.uploads];
  }

  private async upload(u: Upload, overwrite: boolean): Promise<void> {
    if (this.maxBytes > 0 && u.file.size > this.maxBytes) {
      this.change(u, { state: 'failed', message: `${human(u.file.size)} is over the upload limit of ${human(this.maxBytes)}` });
      return;
    }
    // Taken before the first await, so that the queue never starts the same file twice.
    this.change(u, { state: 'uploading', loaded: 0 });
    const csrf = await this.token();
    await new Promise<void>((resolve) => {
      const xhr = new XMLHttpRequest();
      const url = `/api/studios/${encodeURIComponent(this.studio)}/fs/upload?path=${encodeURIComponent(u.path)}`
        + `&overwrite=${overwrite}`;
      xhr.open('PUT', url);
      xhr.setRequestHeader(csrf.headerName, csrf.token);
      xhr.setRequestHeader('Content-Type', 'application/octet-stream');
      let last = 0;
      xhr.upload.onprogress = (e) => {
        // At most ten repaints a second, whatever the browser reports.
        if (Date.now() - last > 100 || e.loaded === e.total) {
          last = Date.now();
          this.change(u, { loaded: e.loaded });
        }
      };
      xhr.onload = () => {
        if (xhr.status === 201) {
          this.finished++;
          this.change(u, { state: 'done', loaded: u.file.size });
        } else {
          const detail = problem(xhr.responseText) ?? `HTTP ${xhr.status}`;
          this.change(u, { state: xhr.status === 409 && detail.includes('already exists') ? 'exists' : 'failed',
            message: detail });
        }
        resolve();
      };
      xhr.onerror = () => {
        this.change(u, { state: 'failed', message: 'The connection broke; nothing was kept. Try again.' });
        resolve();
      };
      xhr.send(u.file);
    });
  }

  private retry(u: Upload, overwrite: boolean) {
    this.running++;
    this.upload(u, overwrite).finally(() => {
      this.running--;
      if (u.state === 'done') this.dispatchEvent(new CustomEvent('uploaded', { detail: { count: 1 } }));
      this.finished = 0;
      this.pump();
    });
  }

  private skip(u: Upload) {
    this.change(u, { state: 'failed', message: 'skipped: the file on the machine stays' });
  }

  private token() {
    if (!this.csrf) {
      this.csrf = fetch('/api/studios/csrf', { credentials: 'same-origin' }).then((r) => r.json());
    }
    return this.csrf;
  }
}

/** The `detail` of an RFC 9457 problem body, when it is one. */
function problem(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const detail = typeof parsed == 'object' && parsed !== null ? (parsed as { detail?: unknown }).detail : undefined;
    return typeof detail == 'string' ? detail : undefined;
  } catch {
    return undefined;
  }
}

function human(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = -1;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value >= 100 ? value.toFixed(0) : value.toFixed(1)} ${units[unit]}`;
}

/** The files of a drop, folders walked (their entries come in batches). */
async function filesOf(transfer: DataTransfer | null): Promise<Picked[]> {
  if (!transfer) return [];
  const entries = Array.from(transfer.items ?? [])
    .map((item) => (item.webkitGetAsEntry ? item.webkitGetAsEntry() : null))
    .filter((e): e is FileSystemEntry => e !== null);
  if (entries.length === 0) {
    return Array.from(transfer.files).map((file) => ({ file, relative: file.name }));
  }
  const picked: Picked[] = [];
  const walk = async (entry: FileSystemEntry, prefix: string): Promise<void> => {
    if (entry.isFile) {
      const file = await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail));
      picked.push({ file, relative: prefix + entry.name });
    } else if (entry.isDirectory) {
      const reader = (entry as FileSystemDirectoryEntry).createReader();
      for (;;) {
        const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
        if (batch.length === 0) break;
        for (const child of batch) await walk(child, prefix + entry.name + '/');
      }
    }
  };
  for (const entry of entries) await walk(entry, '');
  return picked;
}
