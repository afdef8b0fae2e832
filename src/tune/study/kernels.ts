/**
 * The kernels a study runs on, recorded with it: 'reference', or one WebAssembly build
 * ('wasm:relaxed', fused multiply-add where the processor has it, or 'wasm:plain'). The two
 * builds round differently, so every worker of a study, in any process, runs the build the
 * study was created with; a process whose engine lacks it is refused rather than mixed in.
 */
import { StorageError } from '../../errors.js';
import type { Backend } from '../../tensor/backend.js';
import { chooseBuild, loadBackend, relaxedSimdSupported, wasmSimdSupported, type BackendName, type SimdBuild, type WasmOptions } from '../../tensor/index.js';

export interface StudyKernels {
  backend: 'wasm' | 'reference';
  /** The WebAssembly build (wasm only). */
  simd?: SimdBuild;
}

/** What a new study records for `--backend name` in this process. */
export function studyKernels(name: BackendName): string {
  const backend = name === 'auto' ? (wasmSimdSupported() ? 'wasm' : 'reference') : name;
  return backend === 'reference' ? 'reference' : `wasm:${chooseBuild('auto')}`;
}

/** The kernels a stored study names, as this process can run them; refused in one line when it cannot. */
export function recordKernels(where: string, study: { name: string; backend: string }): StudyKernels {
  if (study.backend === 'reference') return { backend: 'reference' };
  if (study.backend === 'wasm:plain') return { backend: 'wasm', simd: 'plain' };
  if (study.backend === 'wasm:relaxed') {
    if (!relaxedSimdSupported()) {
      throw new StorageError(where, `study "${study.name}" runs on the relaxed-SIMD kernels (fused multiply-add), which this JavaScript engine lacks, and the plain build would round differently. help: join with bin/mlplab (it enables them on Node 20) or Node 22+`);
    }
    return { backend: 'wasm', simd: 'relaxed' };
  }
  throw new StorageError(where, `study "${study.name}" runs on kernels "${study.backend}", which this mlplab does not have`);
}

/** A backend on a study's kernels (its build, on `threads` threads). */
export function loadStudyBackend(k: StudyKernels, options: Omit<WasmOptions, 'simd'> = {}): Promise<Backend> {
  return loadBackend(k.backend, { ...options, ...(k.simd ? { simd: k.simd } : {}) });
}
