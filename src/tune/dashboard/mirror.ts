/**
 * The dashboard's copy of a store's studies and trials, kept current by reading only what may
 * have changed since the last read (see TrialCursor): the first read takes every trial, each
 * later one the running trials, the trials claimed since, and new ones, in one statement on the
 * trials' index and primary key. Ended trials never change, so 10,000 of them are read once.
 */
import type { StudyRow } from '../storage/rows.js';
import type { DashboardSource, DashboardTrial, TrialCursor } from './source.js';

/** A study as last read, with its trials by id. */
export interface MirroredStudy {
  id: number;
  row: StudyRow;
  trials: Map<number, DashboardTrial>;
  /** Renewed whenever the study's row or any of its trials changed; unique over the store. */
  version: number;
}

/** What one read of the store brought. */
export interface ReadStats {
  /** Trial rows the read returned (every trial the first time; then the ones that may have changed). */
  rows: number;
  /** Of them, rows that differed from the copy. */
  changed: number;
}

export class StoreMirror {
  readonly studies = new Map<number, MirroredStudy>();
  /** The database's clock at the last read (ISO), for how long ago things happened. */
  now: string | null = null;
  last: ReadStats = { rows: 0, changed: 0 };
  /** Per worker, the longest lease it was seen to have left: a heartbeat sets a lease to now + its length, so this nears the length from below. */
  private readonly leaseLeft = new Map<string, number>();
  private counter = 0;
  private reading: Promise<ReadStats> | null = null;
  private readonly cursors = new Map<number, { version: number; cursor: TrialCursor }>();

  constructor(private readonly source: DashboardSource) {}

  /** Read what changed: the study rows, then the trials that may have changed. One read at a time: a call during a read gets that read. */
  refresh(): Promise<ReadStats> {
    this.reading ??= this.read().finally(() => (this.reading = null));
    return this.reading;
  }

  private async read(): Promise<ReadStats> {
    const { rows, now } = await this.source.studyRows();
    if (now !== null) this.now = now;
    const ids = new Set(rows.map((r) => Number(r.id)));
    for (const id of [...this.studies.keys()]) {
      if (ids.has(id)) continue;
      this.studies.delete(id);
      this.cursors.delete(id);
    }
    for (const row of rows) {
      const id = Number(row.id);
      const m = this.studies.get(id);
      if (!m) this.studies.set(id, { id, row, trials: new Map(), version: ++this.counter });
      else if (m.row.stage !== row.stage || m.row.config_json !== row.config_json || m.row.name !== row.name) {
        m.row = row;
        m.version = ++this.counter;
      }
    }
    const read = await this.source.changes([...this.studies.values()].map((m) => this.cursor(m)));
    let changed = 0;
    for (const t of read) {
      const m = this.studies.get(t.studyId);
      if (!m) continue;
      const old = m.trials.get(t.id);
      if (old && same(old, t)) continue;
      m.trials.set(t.id, t);
      m.version = ++this.counter;
      changed++;
      if (t.status === 'running' && t.worker && t.leaseUntil && this.now) {
        const left = (Date.parse(t.leaseUntil) - Date.parse(this.now)) / 1000;
        if (Number.isFinite(left) && left > (this.leaseLeft.get(t.worker) ?? 0)) this.leaseLeft.set(t.worker, left);
      }
    }
    this.last = { rows: read.length, changed };
    return this.last;
  }

  /**
   * About how many seconds ago a running trial's worker last renewed its lease: the lease's
   * end less its length (the longest seen left on that worker's leases, at most the time from
   * the trial's start to its lease's end, which is the length exactly before the first renewal).
   */
  heartbeatAgo(t: DashboardTrial): number | null {
    if (t.status !== 'running' || !t.worker || !t.leaseUntil || !this.now) return null;
    const until = Date.parse(t.leaseUntil), now = Date.parse(this.now);
    let length = this.leaseLeft.get(t.worker) ?? 0;
    if (t.startedAt) length = Math.min(Math.max(length, 0), (until - Date.parse(t.startedAt)) / 1000);
    const ago = (now - (until - length * 1000)) / 1000;
    return Number.isFinite(ago) ? Math.max(0, ago) : null;
  }

  /** What to read next of a study: its trials that may change (see TrialCursor). */
  private cursor(m: MirroredStudy): TrialCursor {
    const kept = this.cursors.get(m.id);
    if (kept && kept.version === m.version) return kept.cursor;
    let from = Infinity, after = -1;
    const running: number[] = [];
    for (const t of m.trials.values()) {
      if (t.position > after) after = t.position;
      if (t.status === 'queued' && t.position < from) from = t.position;
      if (t.status === 'running') running.push(t.id);
    }
    const cursor = { studyId: m.id, from: from === Infinity ? after + 1 : from, after, running };
    this.cursors.set(m.id, { version: m.version, cursor });
    return cursor;
  }
}

/** Whether a row read again is the trial already kept (an ended trial never changes; a running one moves by its epoch and lease). */
function same(a: DashboardTrial, b: DashboardTrial): boolean {
  return (
    a.status === b.status &&
    a.attempt === b.attempt &&
    a.worker === b.worker &&
    a.epoch === b.epoch &&
    a.leaseUntil === b.leaseUntil &&
    a.startedAt === b.startedAt &&
    a.finishedAt === b.finishedAt &&
    a.error === b.error &&
    a.damaged === b.damaged &&
    (a.result === null) === (b.result === null)
  );
}
