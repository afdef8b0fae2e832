/**
 * What the platform offers for running one model on several threads, found out at run time
 * so that this module runs unchanged in Node, browsers and Web Workers: the number of cores,
 * shared WebAssembly memory, whether this thread may block on `Atomics.wait`, and a way to
 * start a thread. In Node, threads are `worker_threads` workers reached through
 * `process.getBuiltinModule` (Node 20.16+), not an import, so that the main entry stays
 * browser-safe; in browsers they are Web Workers started from a Blob URL.
 */

/** A started thread, whichever platform started it. */
export interface ThreadHandle {
  /** Receives the thread's messages; `onExit` its end (Node), with an exit code. */
  onMessage(fn: (message: unknown) => void): void;
  onError(fn: (error: unknown) => void): void;
  onExit(fn: (code: number) => void): void;
  /** Let the process end while this thread lives (Node; call it once the listeners are on). */
  release(): void;
  terminate(): void;
}

/** Whether a thread count above 1 can be had here; if not, why, in a sentence and in a few words. */
export interface ThreadSupport {
  ok: boolean;
  reason: string | null;
  /** The reason in a few words, for a badge ("not cross-origin isolated"). */
  short: string | null;
}

interface NodeWorkerThreads {
  Worker: new (code: string, options: { eval: true; workerData: unknown; name?: string }) => NodeWorker;
}
interface NodeWorker {
  on(event: 'message' | 'error' | 'exit', fn: (value: never) => void): void;
  unref(): void;
  terminate(): Promise<number>;
}

type BuiltinLoader = (id: string) => unknown;

function nodeBuiltin(id: string): unknown {
  const proc = (globalThis as { process?: { getBuiltinModule?: BuiltinLoader; versions?: { node?: string } } }).process;
  if (typeof proc?.versions?.node !== 'string' || typeof proc.getBuiltinModule !== 'function') return null;
  try {
    return proc.getBuiltinModule(id);
  } catch {
    return null;
  }
}

function isNode(): boolean {
  const proc = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof proc?.versions?.node === 'string';
}

/** Logical cores of this machine (at least 1). */
export function coreCount(): number {
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  const os = nodeBuiltin('node:os') as { availableParallelism?: () => number; cpus?: () => unknown[] } | null;
  const n = os?.availableParallelism?.() ?? os?.cpus?.().length ?? nav?.hardwareConcurrency ?? 1;
  return Number.isInteger(n) && n >= 1 ? n : 1;
}

let support: ThreadSupport | null = null;

/** Whether this thread can run a model on several threads, and if not, why (in words). */
export function threadSupport(): ThreadSupport {
  if (support === null) support = probe();
  return support;
}

function probe(): ThreadSupport {
  const g = globalThis as { SharedArrayBuffer?: unknown; crossOriginIsolated?: boolean; Worker?: unknown };
  const no = (reason: string, short: string): ThreadSupport => ({ ok: false, reason, short });
  if (typeof g.SharedArrayBuffer !== 'function' || g.crossOriginIsolated === false) {
    return no(
      'no shared memory: the page is not cross-origin isolated (it needs the headers Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp)',
      'not cross-origin isolated',
    );
  }
  try {
    new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    return no('this engine has no shared WebAssembly memory', 'no shared memory');
  }
  try {
    // A browser's main thread may not block; threads need the thread that dispatches work to wait for it.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
  } catch {
    return no("this thread may not block (a browser page's main thread); run training in a Web Worker", 'main thread');
  }
  if (isNode()) {
    if (nodeBuiltin('node:worker_threads') === null) return no('this Node.js has no process.getBuiltinModule (Node 20.16 or later has)', 'no worker threads');
    return { ok: true, reason: null, short: null };
  }
  if (typeof g.Worker !== 'function') return no('this context cannot start Web Workers', 'no Web Workers');
  return { ok: true, reason: null, short: null };
}

/**
 * Start a thread running `source`, a script that calls `start(data, post)` as defined by the
 * caller. In Node `data` arrives as workerData; in browsers as the first message.
 */
export function startThread(source: string, data: unknown, name: string): ThreadHandle {
  const threads = nodeBuiltin('node:worker_threads') as NodeWorkerThreads | null;
  if (threads !== null) {
    // getBuiltinModule, not require: the script runs as CommonJS or as a module, as the process was started.
    const code = `const { workerData, parentPort } = process.getBuiltinModule('node:worker_threads');\n${source}\nstart(workerData, (m) => parentPort.postMessage(m));\n`;
    const worker = new threads.Worker(code, { eval: true, workerData: data, name });
    return {
      onMessage: (fn) => worker.on('message', fn as (v: never) => void),
      onError: (fn) => worker.on('error', fn as (v: never) => void),
      onExit: (fn) => worker.on('exit', fn as (v: never) => void),
      // An idle pool must not keep the process alive (a 'message' listener added later would
      // hold it again, hence after them).
      release: () => worker.unref(),
      terminate: () => void worker.terminate(),
    };
  }
  const code = `${source}\nself.onmessage = (e) => { self.onmessage = null; start(e.data, (m) => self.postMessage(m)); };\n`;
  let url: string | null = URL.createObjectURL(new Blob([code], { type: 'text/javascript' }));
  const worker = new Worker(url, { name });
  // The script is loaded once the thread answers.
  worker.addEventListener('message', () => {
    if (url !== null) URL.revokeObjectURL(url);
    url = null;
  });
  worker.postMessage(data);
  return {
    onMessage: (fn) => worker.addEventListener('message', (e) => fn(e.data)),
    onError: (fn) => worker.addEventListener('error', (e) => fn(e.message)),
    onExit: () => {},
    release: () => {},
    terminate: () => worker.terminate(),
  };
}
