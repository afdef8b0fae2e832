import { existsSync } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import type { Command } from 'commander';
import { fsError } from '../data/files.js';
import { ConfigError, ModelFormatError } from '../errors.js';
import { describeOnnxInput } from '../export/onnx-table.js';
import { exportOnnx, ONNX_ML_OPSET, ONNX_NAMES, ONNX_OPSET, onnxInputs } from '../export/onnx.js';
import { MAX_SAFETENSORS_HEADER, checkSafetensorsHeader, safetensorsHeaderLength } from '../export/safetensors.js';
import { exportSafetensors, importWeights } from '../export/weights.js';
import { formatCount, formatFixed, formatSignificant } from '../format.js';
import { checkOutputFile, unreadable, writeFileAtomic } from '../io/files.js';
import { loadModel, saveModel } from '../run/folder.js';
import { VERSION } from './version.js';
import { flag, readJsonFile } from './options.js';

const FORMATS = ['onnx', 'safetensors'] as const;
type ExportFormat = (typeof FORMATS)[number];

function formatOf(flag: string | undefined, out: string): ExportFormat {
  if (flag !== undefined) {
    if (!(FORMATS as readonly string[]).includes(flag)) throw new ConfigError('--format', flag, 'onnx or safetensors');
    return flag as ExportFormat;
  }
  const ext = extname(out).toLowerCase();
  if (ext === '.onnx') return 'onnx';
  if (ext === '.safetensors') return 'safetensors';
  throw new ConfigError('--format', undefined, 'onnx or safetensors (or an --out file ending in .onnx or .safetensors)');
}

/** `x.safetensors` -> `x.pipeline.safetensors`, beside it. */
function pipelinePath(out: string): string {
  const ext = extname(out);
  return `${ext ? out.slice(0, -ext.length) : out}.pipeline${ext || '.safetensors'}`;
}

function size(bytes: number): string {
  return bytes >= 1 << 20 ? `${formatFixed(bytes / (1 << 20), 1)} MB` : `${formatCount(Math.ceil(bytes / 1024))} KB`;
}

/**
 * A safetensors file's header is checked against the file's size before the file is read
 * whole, so one that declares more than the file holds is refused at the cost of its header.
 * Other files (an .npz archive) are left to their reader.
 */
async function checkHeaderFirst(file: string): Promise<void> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (e) {
    throw fsError(file, e);
  }
  try {
    const size = (await handle.stat()).size;
    const first = new Uint8Array(8);
    await handle.read(first, 0, 8, 0);
    if (first[0] === 0x50 && first[1] === 0x4b) return; // 'PK': a zip (.npz)
    const length = safetensorsHeaderLength(first);
    if (length === null || length > MAX_SAFETENSORS_HEADER || 8 + length > size) {
      checkSafetensorsHeader(first.subarray(0, Math.min(8, size)), size, file);
      return;
    }
    const head = new Uint8Array(8 + length);
    await handle.read(head, 0, head.length, 0);
    checkSafetensorsHeader(head, size, file);
  } finally {
    await handle.close();
  }
}

/** PyTorch weights read whole: 2 GB holds a network of 500 million float32 parameters. */
const MAX_WEIGHTS_BYTES = 2e9;

export function registerExportCommands(program: Command): void {
  program
    .command('export')
    .description('write a saved model as ONNX (pre-processing inside) or as PyTorch safetensors weights')
    .addOption(flag('model', { required: true }))
    .addOption(flag('out', { required: true, help: 'the file to write (model.onnx, weights.safetensors)' }))
    .addOption(flag('format'))
    .addOption(flag('overwrite'))
    .action(async (flags: { model: string; out: string; format?: string; overwrite?: boolean }) => {
      const format = formatOf(flags.format, flags.out);
      await checkOutputFile(flags.out, { '--model': flags.model }, flags.overwrite === true);
      if (format === 'safetensors') await checkOutputFile(pipelinePath(flags.out), { '--model': flags.model }, flags.overwrite === true);
      const m = await loadModel(flags.model);
      try {
        if (format === 'onnx') {
          const bytes = exportOnnx(m, { producerVersion: VERSION });
          await writeFileAtomic(flags.out, bytes);
          const { table, width } = onnxInputs(m);
          const inside = m.pipeline && !m.pipeline.isIdentity ? ` (${m.pipeline.describe()} inside the graph)` : '';
          let text = `wrote ${flags.out} (ONNX opset ${ONNX_OPSET}${table ? ` and ai.onnx.ml ${ONNX_ML_OPSET}` : ''}, ${size(bytes.length)})\n`;
          if (table) {
            const steps = m.pipeline && !m.pipeline.isIdentity ? `the table encoding, then ${m.pipeline.describe()}` : 'the table encoding';
            text += `  inputs: one per column the model uses, [batch, 1] each (${steps} inside the graph):\n`;
            table.forEach((t, j) => {
              const named = t.onnxInput === t.name ? '' : ` (column ${JSON.stringify(t.name)})`;
              text += `  input  ${t.onnxInput}: ${t.type} [batch, 1]${named}, ${describeOnnxInput(m.table!.meta.columns[j])}\n`;
            });
          } else {
            text += `  input  ${ONNX_NAMES.input}: float32 [batch, ${width}], raw rows as predict takes them${inside}\n`;
          }
          const networks = (m.members?.length ?? 0) + 1;
          const mean = networks > 1 ? `the mean over ${networks} networks` : '';
          text +=
            m.model.task === 'regress'
              ? `  output ${ONNX_NAMES.value}: float32 [batch, 1], the predicted ${JSON.stringify(m.classNames[0])} in the target's units ` +
                `(the target scaling inside the graph${mean ? `; ${mean}` : ''})\n  target name in the metadata (target_name): ${m.classNames[0]}\n`
              : `  output ${ONNX_NAMES.probabilities}: float32 [batch, ${m.model.classes}]${mean ? ` (${mean})` : ''}; ${ONNX_NAMES.label}: int64 [batch]\n` +
                `  class names in the metadata (class_names): ${m.classNames.join(', ')}\n`;
          process.stdout.write(text);
        } else {
          const out = exportSafetensors(m);
          // The pre-processing first, so a failed export never leaves weights without it.
          const p = pipelinePath(flags.out);
          if (out.pipeline) await writeFileAtomic(p, out.pipeline);
          try {
            await writeFileAtomic(flags.out, out.weights);
          } catch (e) {
            if (out.pipeline) await rm(p, { force: true });
            throw e;
          }
          let text = `wrote ${flags.out} (PyTorch state_dict, ${size(out.weights.length)})\n`;
          const members = m.members?.length ?? 0;
          if (m.model.task === 'regress') {
            const { mean, std } = m.model.options.target ?? { mean: 0, std: 1 };
            text +=
              `  a regression network: its output is the predicted ${JSON.stringify(m.classNames[0])} in the target's units ` +
              `(the target scaling, x ${formatSignificant(std, 6)} ${mean < 0 ? '-' : '+'} ${formatSignificant(Math.abs(mean), 6)}, folded into the last Linear)\n`;
            if (members) text += `  the seed ensemble's ${out.networks} networks side by side in one network ${out.networks} times as wide; the last Linear takes their mean\n`;
          } else if (members) {
            text += `  ${flags.model} is a seed ensemble of ${members + 1} networks; a state_dict holds one network, so this is the first (the ONNX export keeps them all)\n`;
          }
          if (m.table) {
            const roles = new Set(m.table.meta.columns.map((c) => c.role));
            const what = ['blanks filled', ...(roles.has('boolean') ? ['yes/no as 1/0'] : []), ...(roles.has('categorical') ? ['categories one-hot'] : [])].join(', ');
            text += `  the network takes the ${m.table.outputCols} columns the table encoder makes of a row (${what}), which a state_dict cannot hold; the ONNX export includes the encoder\n`;
          }
          if (out.pipeline) {
            text += `wrote ${p}: the pre-processing (${m.pipeline!.describe()}), which a state_dict cannot hold; apply it to raw rows first\n`;
          }
          text +=
            `\nIn PyTorch:\n\n${out.python}` +
            `\nfrom safetensors.torch import load_file\nmodel.load_state_dict(load_file(${JSON.stringify(basename(flags.out))}))\nmodel.eval()\n` +
            `\nBack into mlplab: mlplab import ${basename(flags.out)} --network NET.json, NET.json holding\n${JSON.stringify(out.network)}\n`;
          process.stdout.write(text);
        }
      } finally {
        m.model.dispose();
        for (const x of m.members ?? []) x.dispose();
      }
    });

  program
    .command('import')
    .description('turn PyTorch weights (an nn.Sequential state_dict as .safetensors or .npz) into an mlplab model file')
    .argument('<weights>', 'weights.safetensors (safetensors.torch.save_file) or weights.npz (numpy.savez of the tensors)')
    .addOption(flag('network', { required: true }))
    .addOption(flag('out', { required: true, help: 'the model.json to write' }))
    .addOption(flag('pipeline'))
    .addOption(flag('classNames'))
    .addOption(flag('targetName'))
    .addOption(flag('overwrite'))
    .action(async (weights: string, flags: { network: string; out: string; pipeline?: string; classNames?: string; targetName?: string; overwrite?: boolean }) => {
      await checkOutputFile(flags.out, { weights, '--network': flags.network, ...(flags.pipeline && flags.pipeline !== 'none' ? { '--pipeline': flags.pipeline } : {}) }, flags.overwrite === true);
      const network = await readJsonFile(flags.network, 'network');
      const read = async (file: string) => {
        const problem = await unreadable(file, MAX_WEIGHTS_BYTES);
        if (problem) throw new ModelFormatError(file, problem);
        await checkHeaderFirst(file);
        try {
          return await readFile(file);
        } catch (e) {
          throw fsError(file, e);
        }
      };
      const bytes = await read(weights);
      // The pre-processing export writes beside the weights comes back with them, unless told otherwise.
      const beside = pipelinePath(weights);
      const pipelineFile = flags.pipeline === 'none' ? null : (flags.pipeline ?? (existsSync(beside) ? beside : null));
      const pipeline = pipelineFile ? { bytes: await read(pipelineFile), file: pipelineFile } : undefined;
      const classNames = flags.classNames?.split(',').map((s) => s.trim());
      const m = importWeights(bytes, weights, network, { networkFile: flags.network, classNames, pipeline, ...(flags.targetName !== undefined ? { targetName: flags.targetName } : {}) });
      try {
        await saveModel(flags.out, m);
        const widths = [m.model.inputs, ...m.model.options.hidden.map((h) => `${h.width} ${h.activation}${h.batchNorm ? '+bn' : ''}`), m.model.classes];
        process.stdout.write(
          `read ${weights}: ${formatCount(m.model.parameterCount)} parameters, layers ${widths.join(' -> ')}\n` +
            (m.pipeline ? `read ${pipelineFile}: the pre-processing (${m.pipeline.describe()}); the model takes raw rows\n` : '') +
            (m.model.task === 'regress'
              ? `  a regression network: its last Linear has one output row, read as the predicted ${JSON.stringify(m.classNames[0])} in the target's units (target scaling mean 0, std 1)\n` +
                `wrote ${flags.out} (regression of ${JSON.stringify(m.classNames[0])})\n`
              : `wrote ${flags.out} (classes: ${m.classNames.join(', ')})\n`),
        );
      } finally {
        m.model.dispose();
      }
    });
}
