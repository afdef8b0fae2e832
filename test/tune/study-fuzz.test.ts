/**
 * Property test of the study file reader: random edits of valid study files (values swapped
 * for others of any type, keys dropped or added, lists grown) are either a study or a
 * ConfigError naming the file, never another exception. A share of the edits must still read,
 * so a reader refusing everything would fail.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { ConfigError, MlplabError, StorageError } from '../../src/errors.js';
import { finalFromRow, trialFromRow, type TrialRow } from '../../src/tune/storage/rows.js';
import { metricTask, resolveStudy } from '../../src/tune/study/config.js';
import { studyForTask } from '../../src/tune/study/task.js';
import { ROOT } from '../cli/helpers.js';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path to a value in a JSON document. */
function paths(v: Json, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(v)) v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  else if (v !== null && typeof v === 'object') for (const [k, x] of Object.entries(v)) out.push(...paths(x, [...at, k]));
  return out;
}

function setAt(doc: Json, path: (string | number)[], value: Json | undefined): Json {
  if (path.length === 0) return value ?? null;
  const copy = structuredClone(doc) as Record<string | number, Json>;
  let o = copy as Record<string | number, Json>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, Json>;
  const last = path[path.length - 1];
  if (value === undefined) {
    if (Array.isArray(o)) o.splice(last as number, 1);
    else delete o[last];
  } else o[last] = value;
  return copy;
}

/** `base` after each edit in turn: edits land on the paths of the document as the earlier edits left it (the whole document is replaced rarely). */
function edited(base: Json, edits: [number, Json | undefined][]): Json {
  let doc = base;
  for (const [i, value] of edits) {
    const all = paths(doc).slice(1);
    if (all.length === 0) break;
    doc = setAt(doc, all[i % all.length], value);
  }
  return doc;
}

const anyJson: fc.Arbitrary<Json> = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer({ min: -5, max: 1e6 }),
  fc.double({ noNaN: false }),
  fc.constantFrom(0, 1, 2, 0.5, -1, 1e308, 'default', 'final', 'relu', 'valLoss', 'tpe', 'one-at-a-time', '', 'x'.repeat(300)),
  fc.string({ maxLength: 12 }),
  fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.string({ maxLength: 4 })), { maxLength: 4 }),
  fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.integer(), fc.string({ maxLength: 4 })), { maxKeys: 3 }),
);

for (const name of ['quick-study.json', 'seed-study.json', 'fashion-best.json', 'random-study.json']) {
  test(`${name}: edited study files are a study or one ConfigError naming the file`, () => {
    const base = JSON.parse(readFileSync(join(ROOT, 'examples', name), 'utf8')) as Json;
    const t = { read: 0, refused: 0 };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(), fc.option(anyJson, { nil: undefined })), { minLength: 1, maxLength: 3 }), (edits) => {
        const doc = edited(base, edits);
        try {
          resolveStudy(doc, `fuzz/${name}`);
          t.read++;
        } catch (e) {
          if (!(e instanceof MlplabError)) throw e;
          assert.ok(e instanceof ConfigError, `${e.name}: ${e.message}`);
          assert.ok(e.message.length < 2000, `a short message: ${e.message.slice(0, 100)}...`);
          t.refused++;
        }
      }),
      { numRuns: 300, seed: 42 },
    );
    assert.ok(t.read > 10 && t.refused > 10, `read ${t.read}, refused ${t.refused}`);
  });
}

test('penguin-mass-study.json: edited regression study files are a study or one ConfigError naming the file, before and once the data says the task', () => {
  const base = JSON.parse(readFileSync(join(ROOT, 'examples', 'penguin-mass-study.json'), 'utf8')) as Json;
  const t = { read: 0, refused: 0 };
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat(), fc.option(anyJson, { nil: undefined })), { minLength: 1, maxLength: 3 }), fc.constantFrom('regress' as const, 'classify' as const), (edits, task) => {
      const doc = edited(base, edits);
      try {
        const s = studyForTask(resolveStudy(doc, 'fuzz/penguin-mass-study.json'), task, task === 'regress' ? { target: 'body_mass_g' } : { classes: 3 });
        assert.equal(metricTask(s.metric) ?? task, task, 'a study is judged by a metric of its task');
        t.read++;
      } catch (e) {
        if (!(e instanceof MlplabError)) throw e;
        assert.ok(e instanceof ConfigError, `${e.name}: ${e.message}`);
        assert.ok(e.message.startsWith('fuzz/penguin-mass-study.json: ') && !e.message.includes('\n'), e.message);
        t.refused++;
      }
    }),
    { numRuns: 600, seed: 43 },
  );
  assert.ok(t.read > 10 && t.refused > 10, `read ${t.read}, refused ${t.refused}`);
});

test('a study file that is not an object is one ConfigError naming the file', () => {
  for (const doc of [null, 5, 'study', [], [1, 2], true]) {
    assert.throws(() => resolveStudy(doc, 'fuzz/not-an-object.json'), (e: unknown) => e instanceof ConfigError, JSON.stringify(doc));
  }
});

test('stored trial rows: random edits of a result are read back checked, or are one StorageError naming the row', () => {
  const result = { metric: 0.9, valAccuracy: 0.9, valLoss: 0.31, bestEpoch: 4, epochs: 6, stoppedEarly: true, seconds: 1.5, secondsPerEpoch: 0.25 };
  const row = (resultJson: string): TrialRow => ({
    id: 7, key: 'abc/s0', position: 1, config_key: 'abc', seed: 0, phase: 'search', label: 'base', levels_json: '[]', params_json: null,
    epochs: 6, status: 'done', attempt: 1, worker: 'w', progress_epoch: 6, result_json: resultJson, error: null, finished_at: null,
  } as unknown as TrialRow);
  const t = { read: 0, refused: 0 };
  fc.assert(
    fc.property(fc.constantFrom(...Object.keys(result)), fc.option(anyJson, { nil: undefined }), (key, value) => {
      const edited: Record<string, unknown> = { ...result };
      if (value === undefined) delete edited[key];
      else edited[key] = value;
      try {
        const r = trialFromRow(row(JSON.stringify(edited))).result!;
        // What reads is what mlplab writes: numbers (NaN for a stored null), whole epochs, a flag.
        for (const k of ['metric', 'valAccuracy', 'valLoss', 'seconds', 'secondsPerEpoch'] as const) assert.equal(typeof r[k], 'number', k);
        assert.ok(Number.isInteger(r.bestEpoch) && Number.isInteger(r.epochs) && typeof r.stoppedEarly === 'boolean');
        t.read++;
      } catch (e) {
        assert.ok(e instanceof StorageError, String(e));
        assert.match(e.message, /trial abc\/s0: result_json/);
        t.refused++;
      }
    }),
    { numRuns: 400, seed: 7 },
  );
  assert.ok(t.read > 10 && t.refused > 10, `read ${t.read}, refused ${t.refused}`);
  // A regression's R², RMSE and MAE: numbers (NaN for a stored null) when present, else the row is damaged.
  for (const [value, ok] of [[0.5, true], [null, true], [-3, true], ['0.5', false], [[1], false], [{}, false]] as const) {
    for (const key of ['valR2', 'valRmse', 'valMae']) {
      const text = JSON.stringify({ ...result, [key]: value });
      if (ok) assert.equal(typeof trialFromRow(row(text)).result![key as 'valR2'], 'number', `${key}: ${JSON.stringify(value)}`);
      else assert.throws(() => trialFromRow(row(text)), (e: unknown) => e instanceof StorageError && e.message.includes(`result_json.${key}: got `) && e.message.endsWith('expected a number (null for one that was not finite); the row is damaged'), `${key}: ${JSON.stringify(value)}`);
    }
  }
  // Not JSON, or JSON of another shape.
  for (const text of ['{"metric":', '[]', '"done"', 'null', '{"metric": "0.9"}']) {
    assert.throws(() => trialFromRow(row(text)), (e: unknown) => e instanceof StorageError && /result_json/.test(e.message), text);
  }
  // Every damaged field is named in mlplab's words: what it holds and what was expected.
  const says = (f: () => unknown, message: RegExp) => assert.throws(f, (e: unknown) => e instanceof StorageError && message.test(e.message), String(message));
  says(() => trialFromRow(row('[]')), /^study store: trial abc\/s0: result_json: got \[\], expected an object of a trial's scores; the row is damaged$/);
  says(() => trialFromRow(row(JSON.stringify({ ...result, epochs: -2 }))), /result_json\.epochs: got -2, expected a whole number >= 0; the row is damaged$/);
  says(() => trialFromRow(row(JSON.stringify({ ...result, stoppedEarly: 'no' }))), /result_json\.stoppedEarly: got "no", expected true or false; the row is damaged$/);
  says(() => trialFromRow({ ...row(JSON.stringify(result)), levels_json: '[1, "two"]' }), /trial abc\/s0: levels_json\[1\]: got "two", expected a number or null; the row is damaged$/);
  says(() => trialFromRow({ ...row(JSON.stringify(result)), levels_json: '{}' }), /levels_json: got \{\}, expected a list of factor levels; the row is damaged$/);
  says(() => trialFromRow({ ...row(JSON.stringify(result)), params_json: '[3]' }), /params_json: got \[3\], expected an object of a search trial's parameters; the row is damaged$/);
  says(() => finalFromRow({ ...row(JSON.stringify(result)), output_json: '{"report": {}, "modelFile": 7}' }), /output_json\.modelFile: got 7, expected the model file's text; the row is damaged$/);
  says(() => finalFromRow({ ...row(JSON.stringify(result)), output_json: '{"modelFile": ""}' }), /output_json\.report: got undefined, expected a value \(it is required\): an object: the final run's report; the row is damaged$/);
});
