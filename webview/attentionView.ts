/**
 * attentionView.ts: the attention inspector. For the text before the cursor it shows the tokens
 * coloured by how much the chosen query token (the last one unless the user picks another row)
 * attends to each, a layer x head grid of small heatmaps to pick from, the chosen head's full matrix,
 * and the model's top next-token candidates.
 */
import type { AttentionView, HostMessage } from '../extension/dashboard/messages';
import { el } from './dom';
import { averageHeads, drawMatrix } from './heatmap';
import type { Palette } from './theme';

export interface AttentionUiState { layer?: number; head?: number; average?: boolean }

/** Tokens shown with visible whitespace so a space or newline token can be seen and hovered. */
function displayToken(tok: string): string {
  return tok.replace(/\n/g, '↵\n').replace(/\t/g, '→   ');
}

export class AttentionInspector {
  private view: AttentionView | undefined;
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
  private readonly matrixInfo = el('div', { class: 'matrix-info muted' }, 'Hover the matrix for weights; click a row to make that token the query.');
  private readonly nextBox = el('ol', { class: 'next-tokens', id: 'next-tokens' });

  constructor(root: HTMLElement, palette: Palette, private readonly post: (m: { type: 'revealToken'; index: number }) => void,
    private readonly saveUi: (s: AttentionUiState) => void, ui: AttentionUiState) {
    this.palette = palette;
    this.layer = ui.layer ?? 0;
    this.head = ui.head ?? 0;
    this.average = ui.average ?? false;
    this.averageBox.checked = this.average;
    this.averageBox.addEventListener('change', () => { this.average = this.averageBox.checked; this.persist(); this.render(); });
    this.matrix.addEventListener('mousemove', (e) => this.hoverMatrix(e));
    this.matrix.addEventListener('click', (e) => {
      const cell = this.matrixCell(e);
      if (cell) { this.query = cell.row; this.render(); }
    });
    root.append(
      el('header', {}, el('h1', {}, 'Attention'), this.header),
      el('div', { class: 'controls' }, el('label', { for: 'average-heads' }, this.averageBox, ' Average over heads'), this.selection),
      el('div', { class: 'attention-layout' },
        el('section', { class: 'tokens-section' }, el('h2', {}, 'Tokens (background = attention from the query token)'), this.tokensBox),
        el('section', { class: 'side' },
          el('h2', {}, 'Layers × heads'), this.grid,
          el('h2', {}, 'Matrix (query rows × key columns)'), this.matrix, this.matrixInfo,
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
      const v = m.view;
      const t = v.tokens.length;
      if (v.tokenOffsets.length !== t || v.weights.length !== v.layers * v.heads || v.weights.some((w) => w.length !== t * t)) {
        this.header.textContent = 'Could not inspect attention: the engine returned inconsistent sizes.';
        document.body.dataset.attention = 'error';
        return;
      }
      this.view = v;
      this.layer = Math.min(this.layer, v.layers - 1);
      this.head = Math.min(this.head, v.heads - 1);
      this.query = t - 1;
      this.header.textContent = `${v.documentName}: ${t} tokens${v.truncated ? ' (the end of the text, up to the model’s context)' : ''} · ` +
        `${v.layers} layers × ${v.heads} heads · engine ${v.ms.toFixed(0)} ms · round trip ${v.roundTripMs.toFixed(0)} ms`;
      document.body.dataset.attention = 'ready';
      this.buildGrid();
      this.render();
    }
  }

  private persist(): void {
    this.saveUi({ layer: this.layer, head: this.head, average: this.average });
  }

  private current(): Float32Array | undefined {
    const v = this.view;
    if (!v) return undefined;
    const t = v.tokens.length;
    return this.average ? averageHeads(v.weights, this.layer, v.heads, t) : v.weights[this.layer * v.heads + this.head];
  }

  private buildGrid(): void {
    const v = this.view;
    if (!v) return;
    const t = v.tokens.length;
    this.grid.style.gridTemplateColumns = `max-content repeat(${v.heads}, minmax(0, 96px))`;
    const cells: HTMLElement[] = [el('div', {})];
    for (let h = 0; h < v.heads; h++) cells.push(el('div', { class: 'grid-label' }, `head ${h}`));
    for (let l = 0; l < v.layers; l++) {
      cells.push(el('div', { class: 'grid-label' }, `layer ${l}`));
      for (let h = 0; h < v.heads; h++) {
        const c = el('canvas', { class: 'thumb', tabindex: '0', 'data-layer': String(l), 'data-head': String(h), title: `layer ${l}, head ${h}` });
        drawMatrix(c, v.weights[l * v.heads + h], t, this.palette);
        const pick = () => { this.layer = l; this.head = h; this.average = false; this.averageBox.checked = false; this.persist(); this.render(); };
        c.addEventListener('click', pick);
        c.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') pick(); });
        cells.push(c);
      }
    }
    this.grid.replaceChildren(...cells);
  }

  private render(): void {
    const v = this.view;
    const m = this.current();
    if (!v || !m) return;
    const t = v.tokens.length;
    for (const c of this.grid.querySelectorAll<HTMLCanvasElement>('canvas.thumb')) {
      const l = Number(c.dataset.layer);
      const h = Number(c.dataset.head);
      c.classList.toggle('selected', l === this.layer && (this.average || h === this.head));
    }
    this.selection.textContent = this.average ? `layer ${this.layer}, mean of ${v.heads} heads` : `layer ${this.layer}, head ${this.head}`;
    this.renderTokens(v, m, t);
    drawMatrix(this.matrix, m, t, this.palette, this.query);
    this.matrix.dataset.tokens = String(t);
    this.matrix.dataset.layer = String(this.layer);
    this.matrix.dataset.head = this.average ? 'average' : String(this.head);
    this.nextBox.replaceChildren(...v.next.map((n) => {
      const bar = el('span', { class: 'bar' });
      bar.style.width = `${(n.probability * 100).toFixed(1)}%`;
      return el('li', {}, el('code', {}, JSON.stringify(n.token)), el('span', { class: 'prob' }, `${(n.probability * 100).toFixed(1)}%`), el('span', { class: 'bar-track' }, bar));
    }));
  }

  private renderTokens(v: AttentionView, m: Float32Array, t: number): void {
    const q = this.query;
    const row = m.subarray(q * t, q * t + t);
    let max = 0;
    for (let j = 0; j <= q; j++) if (row[j] > max) max = row[j];
    const [r, g, b] = this.palette.heatHigh;
    const spans = v.tokens.map((tok, j) => {
      const w = j <= q ? row[j] : 0;
      const span = el('span', { class: 'tok', 'data-index': String(j), 'data-token': tok, 'data-weight': w.toFixed(4), title: `#${j} ${JSON.stringify(tok)} · weight ${w.toFixed(4)}` }, displayToken(tok));
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
    const m = this.current();
    const cell = this.matrixCell(e);
    if (!v || !m || !cell) return;
    const t = v.tokens.length;
    const w = m[cell.row * t + cell.col];
    this.matrixInfo.textContent = `query #${cell.row} ${JSON.stringify(v.tokens[cell.row])} → key #${cell.col} ${JSON.stringify(v.tokens[cell.col])}: ${w.toFixed(4)}`;
  }
}
