/**
 * Every command in README.md and web/README.md, run as a newcomer would run it from the
 * repository's root, with what it prints checked against the `# -> text` lines under it.
 *
 * So that the suite stays short, trainings run 3 epochs (unless the command sets --epochs)
 * and studies one seed of one epoch on at most 3,000 training rows; everything else runs as
 * written. Outputs under `runs/` go to a temporary folder, so a clone's own runs are never
 * touched. `npm ci`, `npm test` and `npm run test:unit` cannot run inside the test suite:
 * their scripts are checked instead.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { BIN, ROOT, tempDir } from './cli/helpers.js';

interface Command {
  file: string;
  line: string;
  /** Text the output must contain, from the `# -> text` lines that follow the command. */
  expect: string[];
}

/** The commands of every shell block in a Markdown file, with their expectations. */
function commands(file: string): Command[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const out: Command[] = [];
  for (const block of text.matchAll(/```(sh|bash)?\n([\s\S]*?)```/g)) {
    const lines = block[2].replace(/\\\n\s*/g, '').split('\n');
    for (const raw of lines) {
      const expectation = /^#\s*->\s*(.+)$/.exec(raw.trim());
      if (expectation && out.length) out[out.length - 1].expect.push(expectation[1].trim());
      const line = raw.replace(/\s+#.*$/, '').trim();
      if (/^(npm|bin\/mlplab|node|npx) /.test(line)) out.push({ file, line, expect: [] });
    }
  }
  return out;
}

const ALL = [...commands('README.md'), ...commands('web/README.md')];
const PACKAGE = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
const work = tempDir('mlplab-readme-');

/** A study file cut to one seed of one epoch on at most 3,000 rows, written beside the others. */
function quickStudy(path: string): string {
  const s = JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
  s.seeds = 1;
  s.epochs = 1;
  s.data = { ...s.data, trainRows: Math.min(s.data?.trainRows ?? 3000, 3000) };
  if (s.final) s.final = { ...s.final, epochs: 1, trainRows: 3000 };
  if (s.strategy?.trials) s.strategy = { ...s.strategy, trials: Math.min(s.strategy.trials, 4), ...(s.strategy.startupTrials ? { startupTrials: 2 } : {}) };
  if (s.pruner) delete s.pruner;
  const out = join(work, 'studies', path.replace(/[/\\]/g, '_'));
  mkdirSync(join(work, 'studies'), { recursive: true });
  writeFileSync(out, JSON.stringify(s));
  return out;
}

/** The arguments as run: outputs moved under the temporary folder, trainings and studies cut short. */
function argsOf(line: string): string[] {
  const args = line.split(/\s+/).slice(1).map((a) => (a.startsWith('runs/') ? join(work, a) : a));
  if (args[0] === 'train' && !args.includes('--epochs')) args.push('--epochs', '3');
  if (args[0] === 'study') {
    args[1] = quickStudy(args[1]);
    if (!args.includes('--out')) args.push('--out', join(work, 'studies', 'out'));
  }
  return args;
}

function run(args: string[]): { status: number | null; output: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

function checkOutput(c: Command, output: string): void {
  for (const e of c.expect) assert.ok(output.includes(e), `${c.file}: "${c.line}" should print "${e}"; it printed:\n${output.slice(-2000)}`);
}

describe('README commands', () => {
  test('the READMEs have commands to run', () => {
    assert.ok(ALL.filter((c) => c.file === 'README.md').length >= 10, ALL.map((c) => c.line).join('\n'));
    assert.ok(ALL.some((c) => c.file === 'web/README.md'));
  });

  for (const c of ALL) {
    test(`${c.file}: ${c.line}`, { timeout: 300_000 }, async () => {
      if (c.line === 'npm ci && npm start') {
        // npm ci installs what package-lock.json pins (the test runs in such a tree); npm start is the seed study.
        const study = /^node bin\/mlplab (study \S+)$/.exec(PACKAGE.scripts.start);
        assert.ok(study, `npm start runs the study: ${PACKAGE.scripts.start}`);
        const r = run(argsOf(`bin/mlplab ${study[1]}`));
        assert.equal(r.status, 0, r.output);
        assert.match(r.output, /Table 1/);
        return checkOutput(c, r.output);
      }
      if (c.line === 'npm test' || c.line === 'npm run test:unit') {
        const script = PACKAGE.scripts[c.line === 'npm test' ? 'test' : 'test:unit'];
        assert.match(script, /scripts\/test\.mjs (all|unit)/);
        if (c.line === 'npm test') assert.match(readFileSync(join(ROOT, '.ci', 'run'), 'utf8'), /^npm test$/m, '.ci/run calls the README test command');
        return;
      }
      if (c.line === 'npm run web') return serveOnce(c);
      if (c.line.startsWith('npm ')) {
        const r = spawnSync('npm', c.line.split(/\s+/).slice(1), { cwd: ROOT, encoding: 'utf8', timeout: 240_000 });
        assert.equal(r.status, 0, `${r.stdout}${r.stderr}`);
        return checkOutput(c, `${r.stdout}${r.stderr}`);
      }
      const r = run(argsOf(c.line));
      assert.equal(r.status, 0, `${c.line}\n${r.output}`);
      checkOutput(c, r.output);
    });
  }
});

/** `npm run web`: the dev server starts, answers with the page, and is stopped. */
async function serveOnce(c: Command): Promise<void> {
  const child = spawn('npm', ['run', 'web'], { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no URL within 60 s:\n${output}`)), 60_000);
      const read = (d: Buffer) => {
        output += d.toString();
        // Colour codes aside (ESC [ ... m), vite prints the address it serves.
        const m = /(http:\/\/127\.0\.0\.1:\d+\/)/.exec(output.replace(new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g'), ''));
        if (m) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      };
      child.stdout.on('data', read);
      child.stderr.on('data', read);
      child.on('exit', (code) => reject(new Error(`npm run web exited (${code}):\n${output}`)));
    });
    const page = await (await fetch(url)).text();
    assert.match(page, /mlplab/i);
    checkOutput(c, output);
  } finally {
    try {
      process.kill(-child.pid!, 'SIGTERM');
    } catch {
      // already gone
    }
  }
}
