/**
 * lineChart.ts: a small canvas line chart for training curves: several series over a shared x axis,
 * min/max downsampled per pixel column (downsample.ts), theme colours, nice ticks, and a hover
 * read-out. The canvas carries data-points (points drawn) and data-draw-ms (last draw time) so tests
 * and users' bug reports can see what it did.
 */
import { finiteRange, minMaxPerColumn } from './downsample';
import { compact, niceTicks } from './format';
import type { Palette } from './theme';
import type { Series } from './series';

export interface ChartSeries {
  label: string;
  series: Series;
  colour: number;          // index into palette.series
  markers?: boolean;       // sparse series (validation loss): dots at each point as well as the line
}

export interface ChartOptions {
  title: string;
  xLabel: string;
  yFormat?: (v: number) => string;
  /** Start the y axis at zero (throughput, learning rate) instead of fitting the data. */
  yFromZero?: boolean;
}

const PAD = { left: 52, right: 12, top: 26, bottom: 26 };

export class LineChart {
  readonly canvas: HTMLCanvasElement;
  private readonly tooltip: HTMLDivElement;
  private lines: ChartSeries[] = [];
  private palette: Palette;
  private scheduled = false;
  private hoverX: number | null = null;

  constructor(parent: HTMLElement, private readonly options: ChartOptions, palette: Palette) {
    this.palette = palette;
    const wrap = document.createElement('div');
    wrap.className = 'chart';
    this.canvas = document.createElement('canvas');
    this.canvas.setAttribute('role', 'img');
    this.canvas.setAttribute('aria-label', options.title);
    this.tooltip = document.createElement('div');
    this.tooltip.className = 'chart-tooltip';
    this.tooltip.hidden = true;
    wrap.append(this.canvas, this.tooltip);
    parent.append(wrap);
    new ResizeObserver(() => this.requestDraw()).observe(wrap);
    this.canvas.addEventListener('mousemove', (e) => { this.hoverX = e.offsetX; this.requestDraw(); });
    this.canvas.addEventListener('mouseleave', () => { this.hoverX = null; this.tooltip.hidden = true; this.requestDraw(); });
  }

  setSeries(lines: ChartSeries[]): void {
    this.lines = lines;
    this.requestDraw();
  }

  setPalette(palette: Palette): void {
    this.palette = palette;
    this.requestDraw();
  }

  /** Coalesces redraws to one per animation frame, however many points arrive in between. */
  requestDraw(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => { this.scheduled = false; this.draw(); });
  }

  draw(): void {
    const t0 = performance.now();
    const { canvas, palette } = this;
    const dpr = window.devicePixelRatio || 1;
    const cssW = canvas.clientWidth;
    const cssH = canvas.clientHeight;
    if (cssW === 0 || cssH === 0) return; // hidden: drawn again when it becomes visible (ResizeObserver)
    if (canvas.width !== Math.round(cssW * dpr) || canvas.height !== Math.round(cssH * dpr)) {
      canvas.width = Math.round(cssW * dpr);
      canvas.height = Math.round(cssH * dpr);
    }
    const ctx = canvas.getContext('2d');
    if (!ctx) return;
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, cssW, cssH);
    const font = getComputedStyle(document.body).fontFamily || 'sans-serif';
    ctx.font = `11px ${font}`;

    const plotW = Math.max(10, cssW - PAD.left - PAD.right);
    const plotH = Math.max(10, cssH - PAD.top - PAD.bottom);
    let x0 = Infinity, x1 = -Infinity, y0 = Infinity, y1 = -Infinity, total = 0;
    for (const l of this.lines) {
      const s = l.series;
      total += s.length;
      if (s.length === 0) continue;
      x0 = Math.min(x0, s.xs[0]);
      x1 = Math.max(x1, s.xs[s.length - 1]);
      const [lo, hi] = finiteRange(s.ys, s.length);
      if (Number.isFinite(lo)) { y0 = Math.min(y0, lo); y1 = Math.max(y1, hi); }
    }

    ctx.fillStyle = palette.foreground;
    ctx.textBaseline = 'middle';
    ctx.fillText(this.options.title, PAD.left, 12);
    this.drawLegend(ctx, cssW);

    canvas.dataset.points = String(total);
    if (!Number.isFinite(x0) || !Number.isFinite(y0)) {
      ctx.fillStyle = palette.muted;
      ctx.textAlign = 'center';
      ctx.fillText('no data yet', PAD.left + plotW / 2, PAD.top + plotH / 2);
      ctx.textAlign = 'start';
      canvas.dataset.drawMs = (performance.now() - t0).toFixed(2);
      return;
    }
    if (this.options.yFromZero) y0 = Math.min(0, y0);
    if (x1 === x0) x1 = x0 + 1;
    if (y1 === y0) { y1 += Math.abs(y1) * 0.05 || 1; y0 -= Math.abs(y0) * 0.05 || 0; }
    const yPad = (y1 - y0) * 0.05;
    if (!this.options.yFromZero || y0 < 0) y0 -= yPad;
    y1 += yPad;

    const px = (x: number) => PAD.left + ((x - x0) / (x1 - x0)) * plotW;
    const py = (y: number) => PAD.top + (1 - (y - y0) / (y1 - y0)) * plotH;
    const yFormat = this.options.yFormat ?? ((v: number) => compact(v));

    // Grid and ticks.
    ctx.strokeStyle = palette.grid;
    ctx.lineWidth = 1;
    ctx.fillStyle = palette.muted;
    ctx.textAlign = 'right';
    for (const t of niceTicks(y0, y1, Math.max(2, Math.floor(plotH / 40)))) {
      const y = Math.round(py(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(PAD.left, y); ctx.lineTo(PAD.left + plotW, y); ctx.stroke();
      ctx.fillText(yFormat(t), PAD.left - 6, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    // The axis name sits at the right end; tick labels that would run into it are left out.
    const xLabelLeft = PAD.left + plotW - ctx.measureText(this.options.xLabel).width - 8;
    for (const t of niceTicks(x0, x1, Math.max(2, Math.floor(plotW / 90)))) {
      const x = Math.round(px(t)) + 0.5;
      ctx.beginPath(); ctx.moveTo(x, PAD.top + plotH); ctx.lineTo(x, PAD.top + plotH + 4); ctx.stroke();
      const label = compact(t);
      if (x + ctx.measureText(label).width / 2 < xLabelLeft) ctx.fillText(label, x, PAD.top + plotH + 6);
    }
    ctx.textAlign = 'right';
    ctx.fillText(this.options.xLabel, PAD.left + plotW, PAD.top + plotH + 6);
    ctx.textAlign = 'start';
    ctx.textBaseline = 'middle';
    ctx.strokeStyle = palette.grid;
    ctx.strokeRect(PAD.left + 0.5, PAD.top + 0.5, plotW, plotH);

    // Series: one polyline per series through each column's first/min/max/last values.
    ctx.save();
    ctx.beginPath();
    ctx.rect(PAD.left, PAD.top, plotW, plotH);
    ctx.clip();
    for (const l of this.lines) {
      const s = l.series;
      if (s.length === 0) continue;
      const colour = palette.series[l.colour % palette.series.length];
      ctx.strokeStyle = colour;
      ctx.fillStyle = colour;
      ctx.lineWidth = palette.highContrast ? 2 : 1.5;
      const env = minMaxPerColumn(s.xs, s.ys, s.length, x0, x1, plotW);
      const d = env.data;
      const colX = (c: number) => PAD.left + c + 0.5;
      ctx.beginPath();
      for (let c = 0; c < env.columns; c++) {
        const b = c * 5;
        const x = colX(d[b]);
        if (c === 0) ctx.moveTo(x, py(d[b + 1])); else ctx.lineTo(x, py(d[b + 1]));
        if (d[b + 2] !== d[b + 3]) { ctx.lineTo(x, py(d[b + 2])); ctx.lineTo(x, py(d[b + 3])); }
        ctx.lineTo(x, py(d[b + 4]));
      }
      ctx.stroke();
      if (l.markers && env.columns < plotW / 4) {
        for (let c = 0; c < env.columns; c++) {
          const b = c * 5;
          ctx.beginPath();
          ctx.arc(colX(d[b]), py(d[b + 4]), 2.5, 0, Math.PI * 2);
          ctx.fill();
        }
      }
    }
    ctx.restore();
    this.drawHover(ctx, px, py, x0, x1, plotW, plotH, yFormat);
    canvas.dataset.drawMs = (performance.now() - t0).toFixed(2);
  }

  private drawLegend(ctx: CanvasRenderingContext2D, cssW: number): void {
    let x = cssW - PAD.right;
    ctx.textAlign = 'right';
    for (const l of [...this.lines].reverse()) {
      ctx.fillStyle = this.palette.foreground;
      ctx.fillText(l.label, x, 12);
      x -= ctx.measureText(l.label).width + 6;
      ctx.fillStyle = this.palette.series[l.colour % this.palette.series.length];
      ctx.fillRect(x - 12, 10, 12, 3);
      x -= 22;
    }
    ctx.textAlign = 'start';
  }

  private drawHover(ctx: CanvasRenderingContext2D, px: (x: number) => number, py: (y: number) => number,
    x0: number, x1: number, plotW: number, plotH: number, yFormat: (v: number) => string): void {
    if (this.hoverX === null || this.hoverX < PAD.left || this.hoverX > PAD.left + plotW) { this.tooltip.hidden = true; return; }
    const x = x0 + ((this.hoverX - PAD.left) / plotW) * (x1 - x0);
    const rows: string[] = [`${this.options.xLabel}: ${compact(x, 4)}`];
    ctx.strokeStyle = this.palette.muted;
    ctx.beginPath(); ctx.moveTo(this.hoverX + 0.5, PAD.top); ctx.lineTo(this.hoverX + 0.5, PAD.top + plotH); ctx.stroke();
    for (const l of this.lines) {
      const i = l.series.nearest(x);
      if (i < 0) continue;
      const y = l.series.ys[i];
      if (!Number.isFinite(y)) continue;
      rows.push(`${l.label}: ${yFormat(y)}`);
      ctx.fillStyle = this.palette.series[l.colour % this.palette.series.length];
      ctx.beginPath(); ctx.arc(px(l.series.xs[i]), py(y), 3, 0, Math.PI * 2); ctx.fill();
    }
    this.tooltip.textContent = rows.join('\n');
    this.tooltip.hidden = false;
    const left = Math.min(this.hoverX + 12, Math.max(0, this.canvas.clientWidth - 160));
    this.tooltip.style.left = `${left}px`;
    this.tooltip.style.top = `${PAD.top + 4}px`;
  }
}
