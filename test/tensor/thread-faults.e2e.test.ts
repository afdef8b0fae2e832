// Threads that fail or die end the run with a ThreadError naming the thread, never a hang; bad
// thread counts are ConfigErrors naming the option; a shared memory grows when a run needs
// more than it was sized for, and says clearly when it cannot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { ConfigError, ThreadError } from '../../src/errors.js';
import { Sequential } from '../../src/nn/model.js';
import { fit } from '../../src/train/fit.js';
import { loadBackend } from '../../src/tensor/index.js';
import { OPS } from '../../src/tensor/wasm/control.js';
import { MAX_THREADS, loadWasmBackend, resolveThreads } from '../../src/tensor/wasm/load.js';
import { Heap } from '../../src/tensor/wasm/heap.js';
import { coreCount } from '../../src/tensor/wasm/platform.js';
import { runExperiment } from '../../src/run/experiment.js';
import { PRESETS, resolveRun } from '../../src/run/spec.js';
import { gaussianBlobs } from '../helpers.js';

const model784 = { inputs: 784, classes: 10, hidden: [{ width: 512, activation: 'relu' as const, dropout: 0.3 }, { width: 256, activation: 'relu' as const }] };

test('a worker whose kernel traps ends the job at once with a ThreadError, and the pool stays failed', async () => {
  const be = await loadWasmBackend({ simd: 'plain', threads: 3, pool: { grainNs: 0 } });
  try {
    const t0 = performance.now();
    assert.throws(() => be.threadPool!.injectFault(2), (e: unknown) => e instanceof ThreadError && /worker thread 2 \(of 2\) failed in a kernel: .*unreachable/.test(e.message));
    assert.ok(performance.now() - t0 < 2000, 'reported at once, not by the watchdog');
    const a = be.alloc(64, 64), b = be.alloc(64, 64), c = be.alloc(64, 64);
    assert.throws(() => be.gemm(a, false, b, false, c, 0), (e: unknown) => e instanceof ThreadError && /worker thread 2/.test(e.message), 'later shared kernels refuse too');
    assert.ok(be.threadError instanceof ThreadError);
  } finally {
    be.dispose();
  }
});

test('a worker killed while idle: the next shared kernel fails with a ThreadError within the watchdog, never hangs', async () => {
  const be = await loadWasmBackend({ simd: 'plain', threads: 2, pool: { grainNs: 0, watchdogMs: 400 } });
  try {
    const x = be.alloc(1, 4096), y = be.alloc(1, 4096);
    be.axpy(1, x, y); // the pool works
    be.threadPool!.killForTesting(1);
    // The thread ends on its own within a moment; this thread waits without an event-loop
    // turn, so the exit event has not arrived and only the watchdog can notice.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
    const t0 = performance.now();
    assert.throws(() => be.axpy(1, x, y), (e: unknown) => e instanceof ThreadError && /worker thread 1 \(of 1\) did not finish its share within 0\.4 s/.test(e.message));
    assert.ok(performance.now() - t0 < 5000, `gave up after ${(performance.now() - t0).toFixed(0)} ms`);
  } finally {
    be.dispose();
  }
});

test('a worker that dies during training ends fit with a ThreadError', async () => {
  const be = await loadWasmBackend({ simd: 'plain', threads: 2, pool: { watchdogMs: 400 } });
  const model = Sequential.create(model784, { seed: 1, backend: be });
  try {
    const train = gaussianBlobs(512, 784, 10, 1);
    const killer = {
      onEpochEnd: async () => {
        be.threadPool!.killForTesting(1);
        // Let the thread's exit reach this thread: the pool then knows before the next kernel.
        await new Promise((r) => setTimeout(r, 200));
      },
    };
    await assert.rejects(
      fit(model, train, null, { train: { epochs: 3, batchSize: 128, earlyStopping: false }, callbacks: [killer] }),
      (e: unknown) => e instanceof ThreadError && /worker thread 1 .*(exited|did not finish)/.test(e.message),
    );
  } finally {
    model.dispose();
    be.dispose();
  }
});

test('thread counts: 0, negative, fractional and above the cap are ConfigErrors naming the option', async () => {
  for (const bad of [0, -1, 1.5, MAX_THREADS + 1, Number.NaN, '2' as unknown as number]) {
    assert.throws(() => resolveThreads(bad), (e: unknown) => e instanceof ConfigError && e.field === 'threads' && e.message.includes(`1 to ${MAX_THREADS}`), String(bad));
    await assert.rejects(loadBackend('wasm', { threads: bad }), ConfigError);
    await assert.rejects(loadBackend('reference', { threads: bad }), ConfigError);
  }
  assert.equal(resolveThreads('auto'), Math.min(coreCount(), MAX_THREADS));
  assert.equal(resolveThreads(undefined), 1);
  const raw = { train: gaussianBlobs(60, 4, 2, 1), test: null };
  await assert.rejects(runExperiment(resolveRun({ ...PRESETS.default, train: { epochs: 1 } }), raw, { threads: 0 }), (e: unknown) => e instanceof ConfigError && e.field === 'threads');
});

test('a shared memory grows past its initial size for a run that needs more, and the kernels see it on every thread', async () => {
  const be = await loadWasmBackend({ simd: 'plain', threads: 2, memoryBytes: 0, pool: { grainNs: 0 } });
  try {
    const before = be.memory.buffer.byteLength;
    // More than the initial size (16 MiB here): the memory grows while the pool runs.
    const big = be.alloc(5000, 1000);
    assert.ok(be.memory.buffer.byteLength > before, 'the memory grew');
    big.data.fill(2);
    const out = be.alloc(5000, 1000);
    be.axpy(0.5, big, out);
    assert.equal(be.threadPool!.error, null);
    assert.ok(out.data.every((v) => v === 1), 'both threads wrote their halves above the old end');
    be.free(out);
    be.free(big);
  } finally {
    be.dispose();
  }
});

test('a shared memory that cannot grow any more says so, with what the run needed', () => {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: 2, shared: true });
  const heap = new Heap(memory, 0, 'shared');
  assert.equal(heap.alloc(1) % 64, 0);
  assert.equal(heap.alloc(100) % 64, 0, 'blocks of a shared heap are cache-line aligned');
  assert.throws(() => heap.alloc(3 * 65536), (e: unknown) => e instanceof RangeError && /the run needs 1 MiB and the shared memory of this multi-threaded backend cannot grow past 1 MiB/.test(e.message));
});

test('a process whose backend with threads is never disposed still ends on its own', () => {
  const entry = new URL('../../src/tensor/index.js', import.meta.url).href;
  const script = `import { loadBackend } from '${entry}'; const be = await loadBackend('wasm', { threads: 2, pool: { grainNs: 0 } }); const x = be.alloc(1, 4096); be.scale(x, 2); console.log('used', be.threads);`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(r.status, 0, `exit ${r.status} ${r.signal ?? ''}: ${r.stderr}`);
  assert.match(r.stdout, /used 2/);
});

test('jobs handed to a worker that keep the caller waiting make the pool do such jobs on the caller for a while', async () => {
  for (const pauseWhenLate of [true, false]) {
    const be = await loadWasmBackend({ simd: 'plain', threads: 2, pool: { pauseWhenLate } });
    try {
      const pool = be.threadPool!;
      const big = be.alloc(1, 1 << 22);
      // Each job fills 16 MB on the worker (about a millisecond) and claims to cost nothing, so
      // waiting for it at once is always later than doing it here would have been.
      const late = () => {
        pool.i(0, big.ptr).f(1, 1).splitWorkers(big.size, 16).start(OPS.FILL, 0);
        pool.settle();
      };
      let refused = 0;
      for (let j = 0; j < 400; j++) {
        if (pool.takesStartedJobs()) late();
        else refused++;
      }
      if (pauseWhenLate) assert.ok(refused > 0, 'the pool paused after its warm-up');
      else assert.equal(refused, 0);
      assert.ok(big.data.every((v) => v === 1));
      be.free(big);
    } finally {
      be.dispose();
    }
  }
});

test('threads that do not start in time leave a working one-thread backend that says why', async () => {
  const be = await loadWasmBackend({ simd: 'plain', threads: 2, pool: { startTimeoutMs: 0 } });
  assert.equal(be.threads, 1);
  assert.match(be.threadNote ?? '', /^one thread: the worker threads did not start \(the worker thread did not start within 0 s\)/);
  const x = be.alloc(1, 8);
  be.fill(x, 3);
  assert.ok(x.data.every((v) => v === 3));
});
