/**
 * A pool of worker threads that run shares of the WebAssembly kernels over one shared memory.
 * The main thread (the one that owns the backend, allocates and calls it) is thread 0; it
 * writes a job into the control block (assembly/threads.ts has the layout, control.ts mirrors it),
 * calls the module's `dispatch`, which wakes the workers, runs thread 0's share and waits.
 * Workers never run JavaScript per job: each sits in the module's `workerLoop`, and runs a
 * line of JavaScript only to sleep (Atomics.wait) after spinning in vain. The main thread can
 * also `start` a job on the workers alone and `settle` it later (the next batch's gather, a
 * weight gradient).
 *
 * Faults end the run with a ThreadError instead of a hang: a worker whose kernel traps
 * reports it through the control block at once; a worker that stops without a word (killed,
 * out of memory) is noticed by a watchdog when its share is overdue, and by its exit event
 * once this thread is idle. A pool that failed stays failed.
 */
import { ThreadError } from '../../errors.js';
import { CONTROL, OPS, type PoolExports } from './control.js';
import { startThread, type ThreadHandle } from './platform.js';

export interface PoolOptions {
  /**
   * How long a job may wait for a worker's share before the worker counts as dead, in
   * milliseconds of waiting (time the whole process was stopped does not count), or four times
   * the calling thread's own share if that is longer. Default 5000.
   */
  watchdogMs?: number;
  /** How long to wait for the threads to start, in milliseconds. Default 30000. */
  startTimeoutMs?: number;
  /** Spin iterations before a worker waiting for work sleeps. Default DEFAULT_SPIN. */
  spin?: number;
  /** Spin iterations before the main thread waiting for the workers sleeps. Default DEFAULT_MAIN_SPIN. */
  mainSpin?: number;
  /**
   * Stop handing jobs to `start` for a while when half of the recent ones kept the caller
   * waiting (default true): on a machine whose cores are busy with other work, the caller
   * then does that work itself instead of waiting for a worker to be scheduled.
   */
  pauseWhenLate?: boolean;
  /**
   * The least work, in nanoseconds on one thread, worth giving a thread of its own. Default
   * 20000; 0 shares every kernel that can be split, however small (the determinism tests do).
   */
  grainNs?: number;
}

/**
 * Spin iterations (an atomic load each, a few per nanosecond) before a worker waiting for the
 * next job sleeps: about 0.2 ms, more than the gaps between the jobs of one training step.
 */
export const DEFAULT_SPIN = 1 << 19;
/** Before the main thread, waiting for the workers' shares, sleeps: about 20 microseconds. */
export const DEFAULT_MAIN_SPIN = 1 << 16;
const WAIT_SLICE_MS = 20;
/**
 * Started jobs run by the caller instead, once half of the recent ones were late: 512, then
 * twice as many each time they are late again, up to 256 times that.
 */
const PAUSE_JOBS = 512;
const WARM_UP_JOBS = 256;

// The script each worker runs: instantiate the kernels over the shared memory, say so, then
// run workerLoop until the pool stops, sleeping on the generation word whenever the loop has
// spun in vain (assembly/threads.ts says why the sleep is here and not in WebAssembly). A
// trap is written into the control block (the main thread is blocked in the module and
// cannot receive messages) and then posted.
const WORKER_SOURCE = `
function start(data, post) {
  const { module, memory, ctrl, index, layout } = data;
  let exports;
  try {
    exports = new WebAssembly.Instance(module, { env: { memory } }).exports;
  } catch (e) {
    post({ type: 'failed', message: String((e && e.message) || e) });
    return;
  }
  const words = new Int32Array(memory.buffer, ctrl, layout.bytes >> 2);
  const status = (layout.status >> 2) + 16 * index;
  post({ type: 'ready' });
  try {
    while (exports.workerLoop(ctrl, index) === 1) {
      Atomics.wait(words, layout.gen >> 2, Atomics.load(words, status));
      Atomics.sub(words, layout.sleepers >> 2, 1);
    }
    post({ type: 'stopped' });
  } catch (e) {
    const message = String((e && e.message) || e);
    if (Atomics.compareExchange(words, layout.error >> 2, 0, index) === 0) {
      const chars = new Uint16Array(memory.buffer, ctrl + layout.text + 4, layout.textChars);
      const n = Math.min(message.length, layout.textChars);
      for (let i = 0; i < n; i++) chars[i] = message.charCodeAt(i);
      Atomics.store(words, layout.text >> 2, n);
      Atomics.notify(words, layout.text >> 2);
    }
    Atomics.notify(words, layout.done >> 2);
    post({ type: 'failed', message });
  }
}
`;

/** Worker `w`'s name in messages (workers are 1 .. size - 1; the main thread is 0). */
const label = (w: number) => `worker thread ${w}`;

export class ThreadPool {
  /** Threads running each job, the main thread included. */
  readonly size: number;
  private readonly words: Int32Array;
  private readonly floats: Float32Array;
  private failure: ThreadError | null = null;
  private stopped = false;
  /** A job started with `start` and not yet waited for, and what it costs on one thread (ns). */
  private pending = false;
  private pendingNs = 0;
  /** Moving share of started jobs this thread had to wait for (their worker was off its core). */
  private late = 0;
  /** Started jobs still to be refused (run by the caller instead) after too many were late. */
  private paused = 0;
  /** The next pause lasts PAUSE_JOBS << backoff jobs: it doubles each time jobs are late again. */
  private backoff = 0;
  /** Jobs started so far (the first ones run while the kernels are still being compiled). */
  private startedJobs = 0;
  private readonly pauseWhenLate: boolean;
  private readonly watchdogMs: number;

  private constructor(
    private readonly kernels: PoolExports,
    memory: WebAssembly.Memory,
    private readonly ctrl: number,
    private readonly handles: ThreadHandle[],
    options: PoolOptions,
  ) {
    this.size = handles.length + 1;
    // Views of a shared memory stay valid when it grows (a SharedArrayBuffer is never
    // detached), and the control block sits below every allocation.
    this.words = new Int32Array(memory.buffer, ctrl, CONTROL.BYTES >> 2);
    this.floats = new Float32Array(memory.buffer, ctrl, CONTROL.BYTES >> 2);
    this.watchdogMs = options.watchdogMs ?? 5000;
    this.pauseWhenLate = options.pauseWhenLate ?? true;
  }

  /**
   * Start `threads - 1` workers on `module` (a threads build) over `memory`, with the control
   * block at byte `ctrl` (CONTROL.BYTES bytes, 64-byte aligned, owned by the caller).
   */
  static async start(module: WebAssembly.Module, memory: WebAssembly.Memory, kernels: PoolExports, ctrl: number, threads: number, options: PoolOptions = {}): Promise<ThreadPool> {
    if (kernels.controlLayout(0) !== CONTROL.VERSION || kernels.controlLayout(1) !== CONTROL.BYTES || kernels.controlLayout(2) !== CONTROL.MAX_THREADS) {
      throw new Error('thread pool: the kernels were built with another control-block layout; rebuild (npm run build)');
    }
    if (!Number.isInteger(threads) || threads < 2 || threads > CONTROL.MAX_THREADS) throw new RangeError(`thread pool: ${threads} threads, expected 2 to ${CONTROL.MAX_THREADS}`);
    const words = new Int32Array(memory.buffer, ctrl, CONTROL.BYTES >> 2);
    words.fill(0);
    words[CONTROL.SPIN >> 2] = options.spin ?? DEFAULT_SPIN;
    words[CONTROL.SPIN_MAIN >> 2] = options.mainSpin ?? DEFAULT_MAIN_SPIN;
    words[CONTROL.POOL >> 2] = threads;
    const layout = {
      bytes: CONTROL.BYTES, gen: CONTROL.GEN, sleepers: CONTROL.SLEEPERS, status: CONTROL.STATUS,
      error: CONTROL.ERROR, done: CONTROL.DONE, text: CONTROL.TEXT, textChars: CONTROL.TEXT_CHARS,
    };
    const handles: ThreadHandle[] = [];
    const ready: Promise<void>[] = [];
    let pool: ThreadPool | null = null;
    const early: (ThreadError | null)[] = [];
    for (let w = 1; w < threads; w++) {
      const handle = startThread(WORKER_SOURCE, { module, memory, ctrl, index: w, layout }, `mlplab kernels ${w}`);
      handles.push(handle);
      ready.push(
        new Promise<void>((resolve, reject) => {
          let started = false;
          const fail = (what: string) => {
            const err = new ThreadError(`${label(w)} (of ${threads - 1}) ${what}`);
            if (!started) reject(err);
            else if (pool) pool.markFailed(err);
            else early[w] = err;
          };
          handle.onMessage((m) => {
            const message = m as { type: string; message?: string };
            if (message.type === 'ready') {
              started = true;
              resolve();
            } else if (message.type === 'failed') fail(`failed: ${message.message}`);
          });
          handle.onError((e) => fail(`failed: ${e instanceof Error ? e.message : String(e)}`));
          handle.onExit((code) => {
            if (!pool?.stopped) fail(`exited (code ${code})`);
          });
          handle.release();
        }),
      );
    }
    const timeoutMs = options.startTimeoutMs ?? 30_000;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new ThreadError(`${threads === 2 ? 'the worker thread' : `the ${threads - 1} worker threads`} did not start within ${timeoutMs / 1000} s`)), timeoutMs);
    });
    try {
      await Promise.race([Promise.all(ready), timeout]);
    } catch (e) {
      for (const h of handles) h.terminate();
      throw e;
    } finally {
      clearTimeout(timer);
    }
    pool = new ThreadPool(kernels, memory, ctrl, handles, options);
    const first = early.find((e) => e);
    if (first) pool.markFailed(first);
    return pool;
  }

  /** Jobs run so far (each kernel call shared among the threads is one). */
  get jobs(): number {
    return Atomics.load(this.words, CONTROL.GEN >> 2);
  }

  /** The error the pool failed with, or null while it works. */
  get error(): ThreadError | null {
    return this.failure;
  }

  // ---- writing a job ----------------------------------------------------------------------

  // The arguments of a job started with `start` may still be read by its workers: writing the
  // next job's arguments waits for it first.

  /** Integer (or pointer) argument j of the next job. */
  i(j: number, v: number): this {
    if (this.pending) this.settle();
    this.words[(CONTROL.ARGS >> 2) + j] = v;
    return this;
  }

  /** Float argument j of the next job (rounded to float32, as a kernel call rounds it). */
  f(j: number, v: number): this {
    if (this.pending) this.settle();
    this.floats[(CONTROL.ARGS >> 2) + j] = v;
    return this;
  }

  /**
   * Split `units` (rows, columns or elements) into `parts` ranges whose inner boundaries are
   * multiples of `align`, one per thread; threads past `parts` get nothing.
   */
  split(units: number, parts: number, align: number): this {
    if (this.pending) this.settle();
    const r = CONTROL.RANGES >> 2;
    let start = 0;
    for (let w = 0; w < this.size; w++) {
      let end = start;
      if (w < parts) end = w === parts - 1 ? units : Math.max(start, Math.floor((units * (w + 1)) / parts / align) * align);
      this.words[r + 2 * w] = start;
      this.words[r + 2 * w + 1] = end;
      start = end;
    }
    return this;
  }

  /**
   * Split `units` among the workers only (thread 0, the caller, gets nothing): for a job the
   * caller starts with `start` and does not wait for.
   */
  splitWorkers(units: number, align: number): this {
    if (this.pending) this.settle();
    const r = CONTROL.RANGES >> 2;
    const workers = this.size - 1;
    this.words[r] = 0;
    this.words[r + 1] = 0;
    let start = 0;
    for (let w = 1; w < this.size; w++) {
      const end = w === this.size - 1 ? units : Math.max(start, Math.floor((units * w) / workers / align) * align);
      this.words[r + 2 * w] = start;
      this.words[r + 2 * w + 1] = end;
      start = end;
    }
    return this;
  }

  /** Run the job written so far on every thread and wait for all of them. */
  run(op: number): void {
    this.settle();
    this.words[CONTROL.OP >> 2] = op;
    const t0 = performance.now();
    const status = this.kernels.dispatch(this.ctrl);
    // This thread's own share took about as long as each worker's: a huge kernel may keep a
    // slow worker busy for longer than the watchdog, so it waits up to four times that too.
    if (status !== 0) this.finish(status, 4 * (performance.now() - t0));
  }

  /**
   * Start the job written so far (split with `splitWorkers`) and return at once, leaving this
   * thread free for other work; the next `run`, `start` or `settle` waits for it first.
   * `costNs` is about what the job takes on one thread: waiting longer than that for it
   * counts as late (see `takesStartedJobs`).
   */
  start(op: number, costNs: number): void {
    this.settle();
    this.words[CONTROL.OP >> 2] = op;
    this.kernels.post(this.ctrl);
    this.pending = true;
    this.pendingNs = costNs;
    this.startedJobs++;
  }

  /**
   * Whether to hand the next job to `start`: no after too many started jobs kept this thread
   * waiting for them (the machine's other work holds the cores), for a while, so that the
   * caller runs such work itself rather than wait for a worker to be scheduled.
   */
  takesStartedJobs(): boolean {
    if (this.paused === 0) return true;
    this.paused--;
    return false;
  }

  /** Wait for a job `start` left running (nothing to do when there is none). */
  settle(): void {
    if (this.failure) throw this.failure;
    if (this.stopped) throw new ThreadError('the thread pool was stopped');
    if (!this.pending) return;
    this.pending = false;
    const finished = Atomics.load(this.words, CONTROL.DONE >> 2) >= this.size - 1;
    const t0 = finished ? 0 : performance.now();
    const status = this.kernels.join(this.ctrl);
    if (status !== 0) this.finish(status);
    // Late: this thread waited for the job longer than doing it itself would have taken (with
    // a floor of 50 microseconds, about what waking a sleeping worker costs).
    // The first jobs do not count: V8 compiles the kernels in tiers, and a worker's first runs
    // are slow for that alone.
    const waitedNs = finished ? 0 : (performance.now() - t0) * 1e6;
    if (this.startedJobs <= WARM_UP_JOBS) return;
    this.late += ((waitedNs > Math.max(this.pendingNs, 50_000) ? 1 : 0) - this.late) / 16;
    if (this.late > 0.5 && this.pauseWhenLate) {
      this.late = 0.25;
      this.paused = PAUSE_JOBS << this.backoff;
      this.backoff = Math.min(this.backoff + 1, 8);
    } else if (this.late < 0.05 && this.backoff > 0) {
      // On time again for a while: the next pause starts short.
      this.backoff--;
      this.late = 0.25;
    }
  }

  /** Wait for the workers after `dispatch` or `join` returned `status` (not 0): sleep, watch, report. */
  private finish(status: number, patienceMs = 0): void {
    const words = this.words;
    const limit = Math.max(this.watchdogMs, patienceMs);
    let waited = 0;
    while (status !== 0) {
      if (status === 2) this.fail(this.reportedError());
      const woke = Atomics.wait(words, CONTROL.DONE >> 2, words[CONTROL.JOIN_EXPECT >> 2], WAIT_SLICE_MS);
      Atomics.store(words, CONTROL.MAIN_WAITING >> 2, 0);
      if (woke === 'timed-out') {
        // Slices of waiting, not the clock: a process stopped and resumed has not waited.
        waited += WAIT_SLICE_MS;
        if (waited >= limit) this.fail(this.overdue(limit));
      }
      status = this.kernels.join(this.ctrl);
    }
  }

  /** Make worker `thread` (1 .. size - 1) trap in its next job: for the tests of a failing thread. */
  injectFault(thread: number): void {
    this.i(0, thread).split(0, 0, 1).run(OPS.FAULT);
  }

  /** Kill worker `thread` without telling it: for the tests of a thread that dies. */
  killForTesting(thread: number): void {
    this.handles[thread - 1].terminate();
  }

  /** Stop the workers (they leave their loop) and forget them. Safe to call twice. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (!this.failure) {
      try {
        if (this.pending) {
          this.pending = false;
          const left = this.kernels.join(this.ctrl);
          if (left !== 0) this.finish(left);
        }
        this.words[CONTROL.OP >> 2] = OPS.STOP;
        const status = this.kernels.dispatch(this.ctrl);
        if (status !== 0) this.finish(status);
      } catch {
        // A worker that fails while stopping is terminated below all the same.
      }
    }
    for (const h of this.handles) h.terminate();
  }

  private markFailed(err: ThreadError): void {
    if (!this.failure && !this.stopped) this.failure = err;
  }

  private fail(err: ThreadError): never {
    this.markFailed(err);
    for (const h of this.handles) h.terminate();
    throw this.failure ?? err;
  }

  private reportedError(): ThreadError {
    // The failing thread claims the error word first and writes its message after: give it a
    // moment to finish, or the message would be read empty.
    const until = performance.now() + 250;
    while (Atomics.load(this.words, CONTROL.TEXT >> 2) === 0 && performance.now() < until) Atomics.wait(this.words, CONTROL.TEXT >> 2, 0, 10);
    const w = Atomics.load(this.words, CONTROL.ERROR >> 2);
    const n = Math.min(Atomics.load(this.words, CONTROL.TEXT >> 2), CONTROL.TEXT_CHARS);
    const chars = new Uint16Array(this.words.buffer, this.words.byteOffset + CONTROL.TEXT + 4, n);
    return new ThreadError(`${label(w)} (of ${this.size - 1}) failed in a kernel: ${String.fromCharCode(...chars)}; the run cannot go on`);
  }

  private overdue(limitMs: number): ThreadError {
    const gen = Atomics.load(this.words, CONTROL.GEN >> 2);
    const late: string[] = [];
    for (let w = 1; w < this.size; w++) if (Atomics.load(this.words, (CONTROL.STATUS >> 2) + 16 * w) !== gen) late.push(label(w));
    return new ThreadError(
      `${late.join(', ') || 'a worker thread'} (of ${this.size - 1}) did not finish its share within ${Math.round(limitMs / 100) / 10} s: it has stopped (killed or out of memory); the run cannot go on`,
    );
  }
}
