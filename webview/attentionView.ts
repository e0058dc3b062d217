/**
 * attentionView.ts: the attention inspector. For the text before the cursor it shows the tokens
 * coloured by how much the chosen query token (the last one unless the user picks another row)
 * attends to each, a layer x head grid of small heatmaps to pick from, the chosen head's full matrix,
 * and the model's top next-token candidates.
 *
 * The host sends the last query row of every head and small previews first; the full matrix of the
 * chosen head (or the layer's mean over heads) is asked for when needed and drawn when it comes.
 * Until then the matrix shows the head's preview, and <canvas id="attention-matrix"> says which it
 * shows in data-source ("preview", "pending" or "full").
 */
import type { AttentionMatrix, AttentionView, HostMessage, WebviewMessage } from '../src/shared/dashboard/messages';
import { PREVIEW_MAX_SIZE, pooledSize } from '../src/shared/dashboard/attentionPooling';
import { el } from './dom';
import { drawIntensities, drawMatrix } from './heatmap';
import type { Palette } from './theme';

export interface AttentionUiState { layer?: number; head?: number; average?: boolean }

/** Tokens shown with visible whitespace so a space or newline token can be seen and hovered. */
function displayToken(tok: string): string {
  return tok.replace(/\n/g, '↵\n').replace(/\t/g, '→   ');
}

/** Why a view cannot be drawn (sizes that disagree), or undefined when it is consistent. */
function inconsistency(v: AttentionView): string | undefined {
  const t = v.tokens.length;
  const heads = v.layers * v.heads;
  const p = v.previewSize;
  if (v.tokenOffsets.length !== t) return `${t} tokens but ${v.tokenOffsets.length} offsets`;
  if (v.lastRows.length !== heads * t) return `${v.lastRows.length} last-row weights for ${heads} heads x ${t} tokens`;
  if (p !== pooledSize(t, PREVIEW_MAX_SIZE) || v.previews.length !== heads * p * p) return `previews of ${v.previews.length} values at size ${p} for ${heads} heads`;
  return undefined;
}

export class AttentionInspector {
  private view: AttentionView | undefined;
  /** The full matrix of the current selection, once the host has sent it. */
  private matrixData: AttentionMatrix | undefined;
  private layer = 0;
  private head = 0;
  private average = false;
  private query = -1;
  private palette: Palette;
  private readonly header = el('div', { class: 'status', role: 'status' }, 'Place the cursor in a file and run “Seedling: Inspect Attention at Cursor”.');
  private readonly averageBox = el('input', { type: 'checkbox', id: 'average-heads' });
  private readonly selection = el('span', { class: 'selection-label' });
  private readonly tokensBox = el('pre', { class: 'tokens', id: 'attention-tokens' });
  private readonly grid = el('div', { class: 'head-grid', id: 'head-grid' });
  private readonly matrix = el('canvas', { class: 'matrix', id: 'attention-matrix', role: 'img', 'aria-label': 'attention matrix of the chosen head' });
  /** The query row's mark over the matrix (an element, so the canvas holds only weights). */
  private readonly queryMarker = el('div', { class: 'query-marker', 'aria-hidden': 'true', hidden: '' });
  private readonly matrixInfo = el('div', { class: 'matrix-info muted' }, 'Hover the matrix for weights; click a row to make that token the query.');
  private readonly nextBox = el('ol', { class: 'next-tokens', id: 'next-tokens' });

  constructor(root: HTMLElement, palette: Palette, private readonly post: (m: WebviewMessage) => void,
    private readonly saveUi: (s: AttentionUiState) => void, ui: AttentionUiState) {
    this.palette = palette;
    this.layer = ui.layer ?? 0;
    this.head = ui.head ?? 0;
    this.average = ui.average ?? false;
    this.averageBox.checked = this.average;
    this.averageBox.addEventListener('change', () => this.select(this.layer, this.head, this.averageBox.checked));
    this.matrix.addEventListener('mousemove', (e) => this.hoverMatrix(e));
    this.matrix.addEventListener('click', (e) => {
      const cell = this.matrixCell(e);
      if (cell && this.matrixData) { this.query = cell.row; this.render(); }
    });
    root.append(
      el('header', {}, el('h1', {}, 'Attention'), this.header),
      el('div', { class: 'controls' }, el('label', { for: 'average-heads' }, this.averageBox, ' Average over heads'), this.selection),
      el('div', { class: 'attention-layout' },
        el('section', { class: 'tokens-section' }, el('h2', {}, 'Tokens (background = attention from the query token)'), this.tokensBox),
        el('section', { class: 'side' },
          el('h2', {}, 'Layers × heads'), this.grid,
          el('h2', {}, 'Matrix (query rows × key columns)'), el('div', { class: 'matrix-wrap' }, this.matrix, this.queryMarker), this.matrixInfo,
          el('h2', {}, 'Next token'), this.nextBox)));
  }

  setPalette(p: Palette): void {
    this.palette = p;
    this.buildGrid(); // the thumbnails are images in the old theme's colours
    this.render();
  }

  handle(m: HostMessage): void {
    if (m.type === 'attentionPending') {
      this.header.textContent = `Computing attention for ${m.documentName} (${m.characters} characters)…`;
      document.body.dataset.attention = 'pending';
    } else if (m.type === 'attentionError') {
      this.header.textContent = `Could not inspect attention: ${m.message}`;
      document.body.dataset.attention = 'error';
    } else if (m.type === 'attention') {
      this.show(m.view);
    } else if (m.type === 'attentionMatrix') {
      this.receiveMatrix(m.matrix);
    }
  }

  private show(v: AttentionView): void {
    const problem = inconsistency(v);
    if (problem) {
      this.header.textContent = `Could not inspect attention: the engine returned inconsistent sizes (${problem}).`;
      document.body.dataset.attention = 'error';
      return;
    }
    const t = v.tokens.length;
    this.view = v;
    this.matrixData = undefined;
    this.layer = Math.min(this.layer, v.layers - 1);
    this.head = Math.min(this.head, v.heads - 1);
    this.query = t - 1;
    this.header.textContent = `${v.documentName}: ${t} tokens${v.truncated ? ' (the end of the text, up to the model’s context)' : ''} · ` +
      `${v.layers} layers × ${v.heads} heads · engine ${v.ms.toFixed(0)} ms · round trip ${v.roundTripMs.toFixed(0)} ms`;
    document.body.dataset.attention = 'ready';
    this.buildGrid();
    this.render();
    this.requestMatrix();
  }

  /** Keeps a matrix only if it is the one the current selection still wants (answers can cross clicks). */
  private receiveMatrix(m: AttentionMatrix): void {
    const v = this.view;
    if (!v || m.inspection !== v.inspection || !this.wants(m)) return;
    const t = v.tokens.length;
    if (m.weights.length !== t * t) {
      this.post({ type: 'log', level: 'warn', message: `attention matrix of ${m.weights.length} weights for ${t} tokens ignored` });
      return;
    }
    this.matrixData = m;
    this.render();
  }

  private wants(m: { layer: number; head: number; average: boolean }): boolean {
    return m.layer === this.layer && m.average === this.average && (this.average || m.head === this.head);
  }

  private select(layer: number, head: number, average: boolean): void {
    this.layer = layer;
    this.head = head;
    this.average = average;
    this.averageBox.checked = average;
    this.persist();
    if (this.matrixData && !this.wants(this.matrixData)) this.matrixData = undefined;
    this.render();
    if (!this.matrixData) this.requestMatrix();
  }

  private requestMatrix(): void {
    const v = this.view;
    if (v) this.post({ type: 'requestAttentionMatrix', inspection: v.inspection, layer: this.layer, head: this.head, average: this.average });
  }

  private persist(): void {
    this.saveUi({ layer: this.layer, head: this.head, average: this.average });
  }

  /** The query's weights over the keys in the current selection, when known: any row of a full
   *  matrix, or the last row from the view (the mean of the layer's heads when averaging). */
  private queryRow(v: AttentionView, q: number): Float32Array | undefined {
    const t = v.tokens.length;
    if (this.matrixData) return this.matrixData.weights.subarray(q * t, q * t + t);
    if (q !== t - 1) return undefined;
    const rowOf = (h: number) => v.lastRows.subarray((this.layer * v.heads + h) * t, (this.layer * v.heads + h + 1) * t);
    if (!this.average) return rowOf(this.head);
    const mean = new Float32Array(t);
    for (let h = 0; h < v.heads; h++) {
      const row = rowOf(h);
      for (let j = 0; j < t; j++) mean[j] += row[j] / v.heads;
    }
    return mean;
  }

  private buildGrid(): void {
    const v = this.view;
    if (!v) return;
    const p = v.previewSize;
    this.grid.style.gridTemplateColumns = `max-content repeat(${v.heads}, minmax(0, 96px))`;
    const cells: HTMLElement[] = [el('div', {})];
    for (let h = 0; h < v.heads; h++) cells.push(el('div', { class: 'grid-label' }, `head ${h}`));
    for (let l = 0; l < v.layers; l++) {
      cells.push(el('div', { class: 'grid-label' }, `layer ${l}`));
      for (let h = 0; h < v.heads; h++) {
        const c = el('canvas', { class: 'thumb', tabindex: '0', 'data-layer': String(l), 'data-head': String(h), title: `layer ${l}, head ${h}` });
        const k = l * v.heads + h;
        drawIntensities(c, v.previews.subarray(k * p * p, (k + 1) * p * p), p, this.palette);
        const pick = () => this.select(l, h, false);
        c.addEventListener('click', pick);
        c.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') pick(); });
        cells.push(c);
      }
    }
    this.grid.replaceChildren(...cells);
  }

  private render(): void {
    const v = this.view;
    if (!v) return;
    const t = v.tokens.length;
    for (const c of this.grid.querySelectorAll<HTMLCanvasElement>('canvas.thumb')) {
      const l = Number(c.dataset.layer);
      const h = Number(c.dataset.head);
      c.classList.toggle('selected', l === this.layer && (this.average || h === this.head));
    }
    this.selection.textContent = this.average ? `layer ${this.layer}, mean of ${v.heads} heads` : `layer ${this.layer}, head ${this.head}`;
    this.renderTokens(v, this.queryRow(v, this.query));
    this.renderMatrix(v, t);
    this.nextBox.replaceChildren(...v.next.map((n) => {
      const bar = el('span', { class: 'bar' });
      bar.style.width = `${(n.probability * 100).toFixed(1)}%`;
      return el('li', {}, el('code', {}, JSON.stringify(n.token)), el('span', { class: 'prob' }, `${(n.probability * 100).toFixed(1)}%`), el('span', { class: 'bar-track' }, bar));
    }));
  }

  /** The full matrix when it is here; until then the head's preview (a mean has none: left blank). */
  private renderMatrix(v: AttentionView, t: number): void {
    let source: 'full' | 'preview' | 'pending';
    if (this.matrixData) {
      drawMatrix(this.matrix, this.matrixData.weights, t, this.palette);
      source = 'full';
    } else {
      const p = v.previewSize;
      const k = this.layer * v.heads + this.head;
      const values = this.average ? new Uint8Array(p * p) : v.previews.subarray(k * p * p, (k + 1) * p * p);
      drawIntensities(this.matrix, values, p, this.palette);
      source = this.average ? 'pending' : 'preview';
    }
    this.queryMarker.hidden = false;
    this.queryMarker.style.top = `${(this.query / t) * 100}%`;
    this.queryMarker.style.height = `${100 / t}%`;
    Object.assign(this.matrix.dataset, {
      tokens: String(t), layer: String(this.layer), head: this.average ? 'average' : String(this.head), source, query: String(this.query),
    });
  }

  private renderTokens(v: AttentionView, row: Float32Array | undefined): void {
    const q = this.query;
    let max = 0;
    if (row) for (let j = 0; j <= q; j++) if (row[j] > max) max = row[j];
    const [r, g, b] = this.palette.heatHigh;
    const spans = v.tokens.map((tok, j) => {
      const w = row && j <= q ? row[j] : 0;
      const weight = row ? w.toFixed(4) : '';
      const span = el('span', { class: 'tok', 'data-index': String(j), 'data-token': tok, 'data-weight': weight, title: `#${j} ${JSON.stringify(tok)}${row ? ` · weight ${weight}` : ''}` }, displayToken(tok));
      // Scaled to the row's largest weight: the question is "which tokens does it look at most".
      const alpha = max > 0 ? Math.sqrt(w / max) * 0.65 : 0;
      if (alpha > 0.02) span.style.backgroundColor = `rgba(${r}, ${g}, ${b}, ${alpha.toFixed(3)})`;
      if (j === q) span.classList.add('query');
      span.addEventListener('click', () => this.post({ type: 'revealToken', index: j }));
      return span;
    });
    this.tokensBox.replaceChildren(...spans);
  }

  private matrixCell(e: MouseEvent): { row: number; col: number } | undefined {
    const v = this.view;
    if (!v) return undefined;
    const t = v.tokens.length;
    const rect = this.matrix.getBoundingClientRect();
    const row = Math.floor(((e.clientY - rect.top) / rect.height) * t);
    const col = Math.floor(((e.clientX - rect.left) / rect.width) * t);
    return row >= 0 && row < t && col >= 0 && col < t ? { row, col } : undefined;
  }

  private hoverMatrix(e: MouseEvent): void {
    const v = this.view;
    const cell = this.matrixCell(e);
    if (!v || !cell) return;
    if (!this.matrixData) {
      this.matrixInfo.textContent = 'Loading the full matrix…';
      return;
    }
    const t = v.tokens.length;
    const w = this.matrixData.weights[cell.row * t + cell.col];
    this.matrixInfo.textContent = `query #${cell.row} ${JSON.stringify(v.tokens[cell.row])} → key #${cell.col} ${JSON.stringify(v.tokens[cell.col])}: ${w.toFixed(4)}`;
  }
}
