import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, ModelFormatError, StorageError, describeValue } from '../src/errors.js';
import { parseSafetensors } from '../src/export/safetensors.js';
import { modelFromJSON } from '../src/nn/serialize.js';
import { studyFromRow } from '../src/tune/storage/rows.js';
import { MAX_JSON_DEPTH, parseJson } from '../src/validate.js';

const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;

test('parseJson refuses deep nesting before parsing, and counts brackets inside strings for nothing', () => {
  assert.deepEqual(parseJson(nested(MAX_JSON_DEPTH)), { value: JSON.parse(nested(MAX_JSON_DEPTH)) });
  const deep = parseJson(nested(100_000));
  assert.ok('problem' in deep && /nested more than 64 levels deep \(at character 64\)/.test(deep.problem), JSON.stringify(deep));
  // Brackets and escaped quotes inside strings are text, not nesting.
  const text = JSON.stringify({ s: `${'['.repeat(500)} \\" ${'{'.repeat(500)}` });
  assert.deepEqual(parseJson(text), { value: JSON.parse(text) });
  const bad = parseJson('{"a": 1,}');
  assert.ok('problem' in bad && /^not valid JSON/.test(bad.problem));
});

test('a value quoted in a message is short, however long or deep it is', () => {
  const long = describeValue('x'.repeat(50_000_000));
  assert.ok(long.length < 120, `${long.length} characters`);
  assert.match(long, /^"x{77}\.\.\." \(50000000 characters\)$/);
  const deep = JSON.parse(nested(20_000)) as unknown;
  assert.equal(describeValue(deep), 'a list of 1');
  assert.match(new ConfigError('name', 'y'.repeat(1e6), 'a short name').message, /^name: got "y+\.\.\." \(1000000 characters\), expected a short name$/);
});

test('deep JSON in a model file, a safetensors header or a stored study row is one clear error', async () => {
  await assert.rejects(modelFromJSON(nested(100_000, '{"a":', '}'), 'model.json'), (e: unknown) => e instanceof ModelFormatError && /model\.json: not a mlplab model \(nested more than 64 levels/.test(e.message));
  const header = new TextEncoder().encode(`{"x":${nested(1000)}}`);
  const bytes = new Uint8Array(8 + header.length);
  new DataView(bytes.buffer).setUint32(0, header.length, true);
  bytes.set(header, 8);
  assert.throws(() => parseSafetensors(bytes, 'w.safetensors'), (e: unknown) => e instanceof ModelFormatError && /w\.safetensors: header: nested more than 64 levels/.test(e.message));
  const row = { id: 1, name: 'damaged', config_hash: 'h', config_json: nested(10_000), fingerprint_json: '{}', backend: 'wasm', stage: 'search', created_at: 'now' };
  assert.throws(() => studyFromRow(row as never), (e: unknown) => e instanceof StorageError && /study damaged: config_json is nested more than 64 levels deep .*; the row is damaged/.test(e.message));
  assert.throws(() => studyFromRow({ ...row, config_json: '{"name": ' } as never), (e: unknown) => e instanceof StorageError && /config_json is not valid JSON/.test(e.message));
});
