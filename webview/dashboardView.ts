/**
 * dashboardView.ts: the training dashboard: status and progress, model and corpus facts, live
 * curves, sample completions per checkpoint, and the history of past runs (click one to see it).
 */
import type { CheckpointPoint, HostMessage, ProgressPoint, RunEnd, RunInfo, RunRecord } from '../src/shared/dashboard/messages';
import { el, facts } from './dom';
import { formatDuration } from '../src/shared/format';
import { acceptedOf, type OutcomeCounts, type SuggestionSummary } from '../src/shared/suggestionCounts';
import { bytes, compact, dateTime, fixed } from './format';
import { LineChart } from './lineChart';
import { Series } from './series';
import type { Palette } from './theme';

interface RunView {
  info: RunInfo;
  end?: RunEnd;
  checkpoints: CheckpointPoint[];
  last?: ProgressPoint;
  lastVal?: number | null;
  loss: Series;
  valLoss: Series;
  tokensPerSecond: Series;
  learningRate: Series;
}

export interface DashboardUiState { selectedRunId?: string }

export class DashboardView {
  private readonly runs = new Map<string, RunView>();
  private activeRunId: string | null = null;
  private selectedRunId: string | undefined;
  private readonly status = el('div', { class: 'status', role: 'status' });
  private readonly stopButton = el('button', { class: 'stop', type: 'button' }, 'Stop training');
  private readonly progressFill = el('div', { class: 'progress-fill' });
  private readonly progressBar = el('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': '0', 'aria-valuemax': '100' }, this.progressFill);
  private readonly progressText = el('div', { class: 'progress-text' });
  private readonly modelBox = el('section', { class: 'card', 'aria-label': 'Model' });
  private readonly corpusBox = el('section', { class: 'card', 'aria-label': 'Corpus' });
  private readonly runBox = el('section', { class: 'card', 'aria-label': 'Run' });
  private readonly suggestionsBox = el('section', { class: 'card', 'aria-label': 'Suggestions', id: 'suggestions' });
  private readonly samplesBox = el('section', { class: 'samples' });
  private readonly historyBody = el('tbody');
  private readonly lossChart: LineChart;
  private readonly speedChart: LineChart;
  private readonly lrChart: LineChart;
  private detailsScheduled = false;
  /** Progress only changes the status line and the run figures; everything else waits for run events. */
  private onlyProgressChanged = true;
  private historyRenderedAt = 0;

  constructor(root: HTMLElement, palette: Palette, private readonly post: (m: { type: 'stopTraining' }) => void,
    private readonly saveUi: (s: DashboardUiState) => void, ui: DashboardUiState) {
    this.selectedRunId = ui.selectedRunId;
    this.stopButton.hidden = true;
    this.stopButton.addEventListener('click', () => { this.stopButton.disabled = true; this.post({ type: 'stopTraining' }); });
    const header = el('header', {}, el('h1', {}, 'Seedling training'), this.status, this.stopButton);
    const cards = el('div', { class: 'cards' }, this.modelBox, this.corpusBox, this.runBox, this.suggestionsBox);
    this.renderSuggestions(undefined);
    const charts = el('div', { class: 'charts' });
    const small = el('div', { class: 'charts-row' });
    this.lossChart = new LineChart(charts, { title: 'Loss', xLabel: 'tokens seen', yFormat: (v) => fixed(v, 2) }, palette);
    this.speedChart = new LineChart(small, { title: 'Tokens / s', xLabel: 'tokens seen', yFromZero: true }, palette);
    this.lrChart = new LineChart(small, { title: 'Learning rate', xLabel: 'tokens seen', yFromZero: true, yFormat: (v) => v === 0 ? '0' : v.toExponential(1) }, palette);
    this.lossChart.canvas.id = 'loss-chart';
    this.speedChart.canvas.id = 'speed-chart';
    this.lrChart.canvas.id = 'lr-chart';
    charts.append(small);
    const history = el('section', { class: 'history' }, el('h2', {}, 'Runs'),
      el('table', {}, el('thead', {}, el('tr', {}, ...['Started', 'Preset', 'Steps', 'Tokens', 'Train loss', 'Val loss', 'Time', 'Status'].map((h) => el('th', {}, h)))), this.historyBody));
    root.append(header, el('div', { class: 'progress-row' }, this.progressBar, this.progressText), cards, charts,
      el('h2', {}, 'Samples at checkpoints'), this.samplesBox, history);
    this.renderDetails();
  }

  setPalette(p: Palette): void {
    for (const c of [this.lossChart, this.speedChart, this.lrChart]) c.setPalette(p);
  }

  handle(m: HostMessage): void {
    switch (m.type) {
      case 'snapshot':
        this.runs.clear();
        for (const r of m.runs) this.addRecord(r);
        this.activeRunId = m.activeRunId;
        if (!this.selectedRunId || !this.runs.has(this.selectedRunId) || m.activeRunId) this.selectedRunId = m.activeRunId ?? this.lastRunId();
        break;
      case 'runStarted':
        this.addRecord({ info: m.run, progress: [], checkpoints: [] });
        this.activeRunId = m.run.runId;
        this.selectedRunId = m.run.runId; // a new run takes the screen: that is what the user just started
        this.stopButton.disabled = false;
        break;
      case 'progress': {
        const run = this.runs.get(m.runId);
        if (!run) return;
        for (const p of m.points) this.addPoint(run, p);
        this.bindCharts();
        this.scheduleDetails(true);
        return;
      }
      case 'checkpoint': {
        const run = this.runs.get(m.runId);
        if (!run) return;
        run.checkpoints.push(m.checkpoint);
        break;
      }
      case 'runFinished': {
        const run = this.runs.get(m.end.runId);
        if (run) run.end = m.end;
        if (this.activeRunId === m.end.runId) this.activeRunId = null;
        break;
      }
      case 'corpus': { const run = this.runs.get(m.runId); if (run) run.info.corpus = m.corpus; break; }
      case 'model': { const run = this.runs.get(m.runId); if (run) run.info.model = m.model; break; }
      case 'suggestions':
        this.renderSuggestions(m.summary);
        return;
      default:
        return;
    }
    this.bindCharts();
    this.scheduleDetails(false);
  }

  private addRecord(r: RunRecord): void {
    const run: RunView = {
      info: r.info, end: r.end, checkpoints: [...r.checkpoints],
      loss: new Series(), valLoss: new Series(), tokensPerSecond: new Series(), learningRate: new Series(),
    };
    for (const p of r.progress) this.addPoint(run, p);
    this.runs.set(r.info.runId, run);
  }

  private addPoint(run: RunView, p: ProgressPoint): void {
    run.loss.push(p.tokensSeen, p.loss);
    run.tokensPerSecond.push(p.tokensSeen, p.tokensPerSecond);
    run.learningRate.push(p.tokensSeen, p.learningRate);
    if (p.valLoss !== undefined) { run.valLoss.push(p.tokensSeen, p.valLoss); run.lastVal = p.valLoss; }
    run.last = p;
  }

  private lastRunId(): string | undefined {
    let last: RunView | undefined;
    for (const r of this.runs.values()) if (!last || r.info.startedAt >= last.info.startedAt) last = r;
    return last?.info.runId;
  }

  private bindCharts(): void {
    const run = this.selectedRunId ? this.runs.get(this.selectedRunId) : undefined;
    const empty = new Series();
    this.lossChart.setSeries([
      { label: 'train', series: run?.loss ?? empty, colour: 0 },
      { label: 'validation', series: run?.valLoss ?? empty, colour: 1, markers: true },
    ]);
    this.speedChart.setSeries([{ label: 'tokens/s', series: run?.tokensPerSecond ?? empty, colour: 2 }]);
    this.lrChart.setSeries([{ label: 'lr', series: run?.learningRate ?? empty, colour: 3 }]);
  }

  /** The text parts change with every progress batch; rebuilding them once a frame is plenty. */
  private scheduleDetails(progressOnly: boolean): void {
    this.onlyProgressChanged &&= progressOnly;
    if (this.detailsScheduled) return;
    this.detailsScheduled = true;
    requestAnimationFrame(() => {
      this.detailsScheduled = false;
      const progressOnly = this.onlyProgressChanged;
      this.onlyProgressChanged = true;
      this.renderDetails(progressOnly);
    });
  }

  private renderDetails(progressOnly = false): void {
    const run = this.selectedRunId ? this.runs.get(this.selectedRunId) : undefined;
    const active = !!run && run.info.runId === this.activeRunId;
    this.stopButton.hidden = !active;
    document.body.dataset.training = active ? 'running' : 'idle';
    this.renderStatus(run, active);
    this.renderRunFigures(run);
    // The running row of the history table changes with progress too, but nobody reads it 60 times a second.
    if (progressOnly && performance.now() - this.historyRenderedAt < 1000) return;
    this.renderHistory();
    if (progressOnly) return;
    this.renderCards(run);
    this.renderSamples(run);
  }

  private renderStatus(run: RunView | undefined, active: boolean): void {
    const p = run?.last;
    let pct = 0;
    if (!run) {
      this.status.textContent = 'No training runs yet. Run “Seedling: Train on Workspace” to start one.';
    } else if (active) {
      this.status.textContent = p ? `Training · step ${p.step}${p.totalSteps ? ` of ${p.totalSteps}` : ''}` : 'Training · preparing…';
    } else {
      const e = run.end;
      this.status.textContent = e ? `Run ${e.status}${e.message ? ` (${e.message})` : ''} · ${dateTime(e.finishedAt)}` : 'Run interrupted (VS Code closed or the engine stopped)';
    }
    if (p) pct = p.totalSteps > 0 ? Math.min(100, (100 * p.step) / p.totalSteps) : 0;
    if (run?.end?.status === 'finished') pct = 100;
    this.progressFill.style.width = `${pct.toFixed(1)}%`;
    this.progressBar.setAttribute('aria-valuenow', pct.toFixed(0));
    this.progressText.textContent = !p ? '' : active
      ? `${pct.toFixed(0)}% · ${formatDuration(p.elapsedMs)} elapsed · ${formatDuration(p.etaMs)} left`
      : `${pct.toFixed(0)}% · ${formatDuration(p.elapsedMs)}`;
  }

  /** What became of the suggestions shown in this workspace (counted on this machine only). */
  private renderSuggestions(summary: SuggestionSummary | undefined): void {
    const total = summary?.total;
    const share = (c: OutcomeCounts) => `${acceptedOf(c)} of ${c.shown} (${c.shown ? Math.round((100 * acceptedOf(c)) / c.shown) : 0}%)`;
    const sources: [string, string][] = summary
      ? ([['copy', 'Copied'], ['model', 'Written']] as const).filter(([k]) => summary.bySource[k]?.shown).map(([k, label]) => [label, share(summary.bySource[k])])
      : [];
    this.suggestionsBox.replaceChildren(el('h2', {}, 'Suggestions'), facts(total && total.shown > 0 ? [
      ['Accepted', share(total)],
      ['How', `${total.whole} whole · ${total.line} by line · ${total.word} by word`],
      ['Not taken', `${total.typed} typed out · ${total.dismissed} dismissed`],
      ...sources,
    ] : [['Accepted', 'none shown yet']]));
  }

  private renderCards(run: RunView | undefined): void {
    const m = run?.info.model;
    const cfg = m?.config;
    this.modelBox.replaceChildren(el('h2', {}, 'Model'), facts(m ? [
      ['Preset', m.preset],
      ['Parameters', m.parameters ? compact(m.parameters) : '–'],
      ['Device', m.device],
      ['Threads', m.threads ? String(m.threads) : 'auto'],
      ...(cfg ? [['Shape', `${cfg.nLayers} layers · ${cfg.nHeads} heads · d ${cfg.dModel} · ctx ${cfg.contextLength} · vocab ${cfg.vocabSize}`] as [string, string]] : []),
    ] : [['Preset', '–']]));
    const c = run?.info.corpus;
    const skipped = c ? Object.entries(c.skipped).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') : '';
    this.corpusBox.replaceChildren(el('h2', {}, 'Corpus'), facts(c ? [
      ['Files', compact(c.files, 4)],
      ['Size', bytes(c.bytes)],
      ['Skipped', skipped || 'none'],
    ] : [['Files', '–']]));
  }

  private renderRunFigures(run: RunView | undefined): void {
    const p = run?.last;
    this.runBox.replaceChildren(el('h2', {}, 'Run'), facts([
      ['Tokens seen', compact(p?.tokensSeen)],
      ['Train loss', fixed(p?.loss)],
      ['Val loss', fixed(run?.lastVal ?? run?.end?.valLoss)],
      ['Tokens/s', compact(p?.tokensPerSecond)],
      ['Learning rate', p && p.learningRate !== null ? p.learningRate.toExponential(2) : '–'],
    ]));
  }

  private renderSamples(run: RunView | undefined): void {
    const cps = run?.checkpoints ?? [];
    if (cps.length === 0) {
      this.samplesBox.replaceChildren(el('p', { class: 'muted' }, 'Completions of sample prompts appear here at each checkpoint.'));
      return;
    }
    // Newest first, the newest one open: it is what the user wants to compare against the code.
    const nodes = [...cps].reverse().slice(0, 20).map((cp, i) => {
      const d = el('details', {}, el('summary', {}, `Step ${cp.step}${cp.valLoss !== undefined ? ` · val loss ${fixed(cp.valLoss)}` : ''}`),
        ...cp.samples.map((smp) => el('pre', { class: 'sample' }, el('span', { class: 'prompt' }, smp.prompt), el('span', { class: 'completion' }, smp.completion))));
      if (i === 0) d.open = true;
      return d;
    });
    this.samplesBox.replaceChildren(...nodes);
  }

  private renderHistory(): void {
    this.historyRenderedAt = performance.now();
    const rows = [...this.runs.values()].sort((a, b) => b.info.startedAt - a.info.startedAt).map((r) => {
      const p = r.last;
      const status = r.info.runId === this.activeRunId ? 'running' : r.end?.status ?? 'interrupted';
      const tr = el('tr', { tabindex: '0', 'data-run-id': r.info.runId },
        el('td', {}, dateTime(r.info.startedAt)), el('td', {}, r.info.model.preset),
        el('td', {}, String(r.end?.steps ?? p?.step ?? 0)), el('td', {}, compact(r.end?.tokensSeen ?? p?.tokensSeen ?? 0)),
        el('td', {}, fixed(r.end?.trainLoss ?? p?.loss)), el('td', {}, fixed(r.end?.valLoss ?? r.lastVal)),
        el('td', {}, formatDuration(p?.elapsedMs)), el('td', {}, status));
      if (r.info.runId === this.selectedRunId) tr.classList.add('selected');
      const select = () => { this.selectedRunId = r.info.runId; this.saveUi({ selectedRunId: r.info.runId }); this.bindCharts(); this.renderDetails(); };
      tr.addEventListener('click', select);
      tr.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') select(); });
      return tr;
    });
    this.historyBody.replaceChildren(...rows);
  }
}
