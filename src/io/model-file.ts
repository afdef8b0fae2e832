import { readFile } from 'node:fs/promises';
import { ModelFormatError } from '../errors.js';
import type { Sequential } from '../nn/model.js';
import { modelFromJSON, modelToJSON } from '../nn/serialize.js';
import type { Backend } from '../tensor/backend.js';
import { describeFsError, writeFileAtomic } from './files.js';

/** Save a model (with extras: class names, pre-processing pipeline, ...) to a file, atomically. */
export async function saveModel(path: string, model: Sequential, extras: Record<string, unknown> = {}): Promise<void> {
  await writeFileAtomic(path, await modelToJSON(model, extras));
}

/** Load a model file written by `saveModel`, the CLI or the playground. Never runs code from it. */
export async function loadModel(path: string, backend?: Backend): Promise<{ model: Sequential; extras: Record<string, unknown> }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ModelFormatError(path, `cannot read model file: ${describeFsError(e)}`);
  }
  return modelFromJSON(text, path, backend);
}
