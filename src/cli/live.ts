/**
 * The study's live view in the terminal: on a TTY a small block redrawn in place (phase,
 * trials done / running / left, best so far, ETA, one line per running trial and the worker
 * running it, on whichever host); otherwise
 * one plain line per finished trial, so logs and CI output stay readable.
 */
import { formatFixed } from '../format.js';
import { fmtMetric } from '../tune/analysis/table1.js';
import type { StudyMetric } from '../tune/study/config.js';
import type { StudyProgress } from '../tune/exec/progress.js';

const PHASE_TITLE = { search: 'search', interaction: 'interaction check', repair: 'repairing the combination', final: 'final model' } as const;

export interface LiveViewOptions {
  metric: StudyMetric;
  /** Where to write; default process.stdout. */
  stream?: NodeJS.WriteStream;
  /** Force the redrawn view (true) or plain lines (false); default: whether the stream is a TTY. */
  tty?: boolean;
}

export class LiveView {
  private readonly stream: NodeJS.WriteStream;
  private readonly tty: boolean;
  private last: StudyProgress | null = null;
  private drawn = 0;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(private readonly options: LiveViewOptions) {
    this.stream = options.stream ?? process.stdout;
    this.tty = options.tty ?? this.stream.isTTY === true;
    if (this.tty) {
      this.timer = setInterval(() => this.redraw(), 500);
      this.timer.unref();
    }
  }

  /** Feed a progress event. */
  update(p: StudyProgress): void {
    this.last = p;
    if (this.tty) this.redraw();
    else if (p.finished) this.write(this.finishedLine(p) + '\n');
  }

  /** A message line (phase changes, decisions): printed above the live block. */
  log(line: string): void {
    if (this.tty) {
      this.clear();
      this.stream.write(line + '\n');
      this.redraw();
    } else this.write(line + '\n');
  }

  /** Remove the live block and stop redrawing. */
  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (this.tty) this.clear();
  }

  private write(s: string): void {
    this.stream.write(s);
  }

  private finishedLine(p: StudyProgress): string {
    const f = p.finished!;
    const what = f.pruned && f.result
      ? `pruned after ${f.result.epochs} epoch${f.result.epochs === 1 ? '' : 's'} at ${fmtMetric(f.result.metric, this.options.metric)} in ${formatFixed(f.result.seconds, 1)} s`
      : f.result
      ? `${fmtMetric(f.result.metric, this.options.metric)} in ${formatFixed(f.result.seconds, 1)} s (${f.result.epochs} epochs)`
      : f.error !== undefined || p.phase !== 'final'
        ? `diverged: ${f.error ?? ''}`
        : 'trained';
    return `[${PHASE_TITLE[p.phase]} ${p.done}/${p.total}] ${f.label}, seed ${f.seed}: ${what}${f.worker ? ` on ${f.worker}` : ''}${p.best ? ` | best ${fmtMetric(p.best.mean, this.options.metric)} (${p.best.label})` : ''}${p.etaSeconds !== null ? ` | ETA ${fmtEta(p.etaSeconds)}` : ''}`;
  }

  private lines(p: StudyProgress): string[] {
    const width = Math.max(40, (this.stream.columns ?? 100) - 1);
    const cut = (s: string) => (s.length > width ? s.slice(0, width - 1) + '…' : s);
    const head =
      p.phase === 'final'
        ? `final model | ${fmtEta(p.elapsedSeconds)} elapsed`
        : `${PHASE_TITLE[p.phase]}: ${p.done}/${p.total} done, ${p.running.length} running, ${p.left} left` +
          (p.reused ? ` (${p.reused} from an earlier run)` : '') +
          ` | ${p.workers} worker${p.workers === 1 ? '' : 's'}${p.hosts && p.hosts > 1 ? ` on ${p.hosts} hosts` : ''} | ${fmtEta(p.elapsedSeconds)} elapsed` +
          (p.etaSeconds !== null ? ` | ETA ${fmtEta(p.etaSeconds)}` : '');
    const out = [cut(head)];
    if (p.best) out.push(cut(`  best so far: ${fmtMetric(p.best.mean, this.options.metric)} (n=${p.best.n}) ${p.best.label}`));
    for (const r of p.running) out.push(cut(`  > ${r.label}, seed ${r.seed}: epoch ${r.epoch}/${r.epochs}${r.worker ? ` on ${r.worker}` : ''}`));
    return out;
  }

  private clear(): void {
    if (this.drawn > 0) this.stream.write(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
  }

  private redraw(): void {
    if (!this.last) return;
    const lines = this.lines(this.last);
    this.clear();
    this.stream.write(lines.join('\n') + '\n');
    this.drawn = lines.length;
  }
}

/** Seconds as "45 s", "3 min 20 s", "1 h 05 min". */
export function fmtEta(s: number): string {
  if (!Number.isFinite(s)) return '?';
  const t = Math.round(s);
  if (t < 60) return `${t} s`;
  if (t < 3600) return `${Math.floor(t / 60)} min ${String(t % 60).padStart(2, '0')} s`;
  return `${Math.floor(t / 3600)} h ${String(Math.floor((t % 3600) / 60)).padStart(2, '0')} min`;
}
