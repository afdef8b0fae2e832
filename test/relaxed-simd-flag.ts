/**
 * Imported first by tests that cover the relaxed-SIMD build: Node 20 keeps relaxed SIMD behind
 * a V8 flag, which must be set before the first WebAssembly module is compiled (the command
 * line sets it the same way in bin/mlplab). Later Node versions have it on already.
 */
import { setFlagsFromString } from 'node:v8';

if (Number(process.versions.node.split('.')[0]) < 22) setFlagsFromString('--experimental-wasm-relaxed-simd');
