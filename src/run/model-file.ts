/**
 * The model file: the network, the fitted pre-processing and the class names in one document.
 * Browser-safe; src/run/folder.ts reads and writes it on disk.
 */
import { Pipeline } from '../data/pipeline.js';
import { ModelFormatError } from '../errors.js';
import type { Sequential } from '../nn/model.js';
import { modelFromJSON, modelToJSON } from '../nn/serialize.js';
import type { Backend } from '../tensor/backend.js';

export interface ModelFileContents {
  model: Sequential;
  pipeline: Pipeline | null;
  classNames: string[];
  run?: unknown;
  source?: string;
  epoch?: number;
}

export async function encodeModelFile(c: ModelFileContents): Promise<string> {
  return modelToJSON(c.model, { classNames: c.classNames, pipeline: c.pipeline ? c.pipeline.toJSON() : null, run: c.run, source: c.source, epoch: c.epoch });
}

export async function decodeModelFile(text: string, file: string, backend?: Backend): Promise<ModelFileContents & { extras: Record<string, unknown> }> {
  const { model, extras } = await modelFromJSON(text, file, backend);
  const pipeline = extras.pipeline ? Pipeline.fromJSON(extras.pipeline, file) : null;
  const names = extras.classNames;
  const classNames =
    Array.isArray(names) && names.length === model.classes && names.every((n) => typeof n === 'string')
      ? (names as string[])
      : Array.from({ length: model.classes }, (_, i) => String(i));
  if (pipeline && pipeline.outputCols !== model.inputs) {
    model.dispose();
    throw new ModelFormatError(file, `its pre-processing gives ${pipeline.outputCols} features but the network takes ${model.inputs}`);
  }
  return { model, pipeline, classNames, run: extras.run, source: typeof extras.source === 'string' ? extras.source : undefined, epoch: typeof extras.epoch === 'number' ? extras.epoch : undefined, extras };
}
