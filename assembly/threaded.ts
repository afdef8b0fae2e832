// The kernels of assembly/index.ts plus the work-sharing loop of threads.ts, for the builds
// that run one model on several threads over one imported shared memory.

export * from './index';
export { controlLayout, workerLoop, dispatch, post, join } from './threads';
