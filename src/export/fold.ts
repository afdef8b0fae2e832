/**
 * A regression model as one plain network, for a PyTorch nn.Sequential that has no layer of
 * its own for the target scaling or for an ensemble's mean. Browser-safe.
 *
 * - Target scaling. mlplab's network gives the standardised target z = h W + b (W is [in, 1])
 *   and predicts z std + mean. The folded network's last Linear is W' = std W and
 *   b' = std b + mean (computed in float64, rounded once to float32), and its target is
 *   {mean 0, std 1}: its output is the prediction in the target's units.
 * - A seed ensemble of K networks predicts the mean of their predictions. That is one network
 *   K times as wide: its hidden layer i holds the members' units side by side (member k's at
 *   k h .. (k + 1) h - 1 for a layer of width h); its Linear weight is block-diagonal (in the
 *   first layer the blocks sit side by side, every member reading the same inputs); its bias
 *   and batch-norm parameters and statistics are the members' one after another. Activations
 *   act unit by unit and dropout is the identity in eval mode, so each member's units compute
 *   what they computed alone. The last Linear reads member k's last units with weight
 *   std W_k / K and has bias std mean_k(b_k) + mean: the mean of the members' predictions.
 *   Without hidden layers the members are linear maps of the same inputs and so is their mean:
 *   W' = std mean_k(W_k). The weights outside the blocks are zeros, which add exact zeros; the
 *   sums run in another order than mlplab's, so predictions agree to float32 rounding.
 */
import { ShapeError } from '../errors.js';
import { formatCount } from '../format.js';
import type { ModelOptions } from '../nn/config.js';
import { Sequential } from '../nn/model.js';
import { needsDouble } from './onnx.js';

/** Most parameters of a folded network (an ensemble K times as wide has about K times the weights of all its networks). */
export const MAX_FOLDED_PARAMETERS = 2 ** 24;

type Tensor = { rows: number; cols: number; data: Float32Array };

function tensorsOf(m: Sequential): Map<string, Tensor> {
  const out = new Map<string, Tensor>();
  for (const p of m.params) out.set(p.name, p.value);
  for (const s of m.stateTensors()) out.set(s.name, s.value);
  return out;
}

/** The options of the folded network of a regression model of `networks` networks. */
export function foldedOptions(options: Sequential['options'], networks: number): ModelOptions {
  return { ...options, target: { mean: 0, std: 1 }, hidden: options.hidden.map((h) => ({ ...h, width: h.width * networks })) };
}

/**
 * One network predicting what a regression model (and its seed ensemble's `members`) predicts,
 * in the target's units, with target {mean 0, std 1}. A new network: the caller disposes it.
 * Throws ShapeError for a classifier, members that are not the same network, or a folded
 * network of more than MAX_FOLDED_PARAMETERS parameters.
 */
export function foldRegression(model: Sequential, members: Sequential[] = []): Sequential {
  if (model.task !== 'regress') throw new ShapeError('foldRegression: the model is a classifier; only a regression output can be folded');
  const target = model.options.target ?? { mean: 0, std: 1 };
  if (needsDouble(target)) {
    throw new ShapeError(
      `the target's mean ${target.mean} beside its standard deviation ${target.std} needs float64 predictions, which a network of float32 weights cannot give ` +
        '(folded into the last Linear, the scaling would round away the predictions); export it as ONNX, whose value output is then float64',
    );
  }
  const nets = [model, ...members];
  const same = JSON.stringify(model.options);
  members.forEach((m, i) => {
    if (JSON.stringify(m.options) !== same) throw new ShapeError(`foldRegression: ensemble member ${i + 1} is not the same network as the first`);
  });
  const k = nets.length;
  const o = model.options;
  const options = foldedOptions(o, k);
  const count = Sequential.tensorShapes(options).reduce((s, t) => s + t.rows * t.cols, 0);
  if (count > MAX_FOLDED_PARAMETERS) {
    throw new ShapeError(
      `the seed ensemble of ${k} networks as one network ${k} times as wide would have ${formatCount(count)} parameters, ` +
        `more than ${formatCount(MAX_FOLDED_PARAMETERS)}; export it as ONNX, which keeps the networks apart`,
    );
  }
  const out = Sequential.create(options, { backend: model.backend });
  const dst = tensorsOf(out);
  const src = nets.map(tensorsOf);
  o.hidden.forEach((h, i) => {
    const w = h.width, fanIn = i === 0 ? o.inputs : o.hidden[i - 1].width;
    const weight = dst.get(`hidden${i}.linear.weight`)!;
    weight.data.fill(0);
    src.forEach((s, j) => {
      const wj = s.get(`hidden${i}.linear.weight`)!.data;
      const row0 = i === 0 ? 0 : j * fanIn;
      for (let r = 0; r < fanIn; r++) weight.data.set(wj.subarray(r * w, (r + 1) * w), (row0 + r) * weight.cols + j * w);
      for (const part of ['linear.bias', 'batchnorm.weight', 'batchnorm.bias', 'batchnorm.running_mean', 'batchnorm.running_var']) {
        const t = s.get(`hidden${i}.${part}`);
        if (t) dst.get(`hidden${i}.${part}`)!.data.set(t.data, j * w);
      }
    });
  });
  const { mean, std } = o.target ?? { mean: 0, std: 1 };
  const weight = dst.get('output.weight')!, bias = dst.get('output.bias')!;
  const last = o.hidden.length ? o.hidden[o.hidden.length - 1].width : o.inputs;
  const shared = o.hidden.length === 0;
  const sum = new Float64Array(weight.rows);
  let b = 0;
  src.forEach((s, j) => {
    const wj = s.get('output.weight')!.data;
    for (let r = 0; r < last; r++) sum[shared ? r : j * last + r] += wj[r];
    b += s.get('output.bias')!.data[0];
  });
  for (let r = 0; r < sum.length; r++) weight.data[r] = (std * sum[r]) / k;
  bias.data[0] = (std * b) / k + mean;
  return out;
}
