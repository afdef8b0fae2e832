// Imported first by the benchmarks: Node 20 keeps relaxed SIMD behind a V8 flag, which must be
// set before the first WebAssembly module is compiled (bin/mlplab sets it the same way).
import { setFlagsFromString } from 'node:v8';

if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--experimental-wasm-relaxed-simd');
