import { readFile } from 'node:fs/promises';
import { ModelFormatError } from '../errors.js';
import type { Sequential } from '../nn/model.js';
import { decodeModelFile, defaultClassNames, encodeModelFile, type ModelFileContents } from '../run/model-file.js';
import type { Backend } from '../tensor/backend.js';
import { describeFsError, writeFileAtomic } from './files.js';

/** Save a model (with its pre-processing pipeline, class names, ...) to a file, atomically. */
export async function saveModel(path: string, model: Sequential, extras: Partial<Omit<ModelFileContents, 'model'>> = {}): Promise<void> {
  const { pipeline = null, classNames = defaultClassNames(model.classes), ...rest } = extras;
  await writeFileAtomic(path, await encodeModelFile({ ...rest, model, pipeline, classNames }));
}

/** Load a model file written by `saveModel`, the CLI or the playground. Never runs code from it. */
export async function loadModel(path: string, backend?: Backend): Promise<ModelFileContents & { extras: Record<string, unknown> }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ModelFormatError(path, `cannot read model file: ${describeFsError(e)}`);
  }
  return decodeModelFile(text, path, backend);
}
