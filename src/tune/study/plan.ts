/**
 * What a study runs, as trials to enqueue, and what its stored trials decide. Everything here
 * is a pure function of the study config and the stored results, so whichever process sees a
 * stage complete enqueues exactly what any other would: the strategy's trials up front, then
 * (one-at-a-time) the combined candidate and its neighbours, then, when the combination does not
 * hold up, the steps of the forward search that repairs it, one configuration at a time, then
 * the final model.
 */
import { mergeSpecs, networkToModelOptions, resolveRun, type ResolvedRun } from '../../run/spec.js';
import { bestConfig, buildTable1, combinedCandidate, configStats, direction, interactionCheck, type Candidate, type ConfigStats, type InteractionCheck, type Table1 } from '../analysis/table1.js';
import { configKey, type ResolvedStudy } from './config.js';
import { isFinished, type StoredTrial, type StudyStage, type TrialPhase, type TrialSpec } from '../storage/types.js';
import { Sequential } from '../../nn/model.js';
import { configuration, expandStrategy, neighbourLevels, spaceConfiguration, studySampler, studySeeds, trialConfiguration, type Configuration } from './strategies.js';
import type { Observation } from '../search/sampler.js';
import { finishRepair, judgeRepairStep, nextRepairLevels, repairOrder, type Repair, type RepairStep } from '../analysis/repair.js';

/** The stored key of a trial: its configuration and seed. */
export function trialKey(configKey: string, seed: number): string {
  return `${configKey}/s${seed}`;
}

/**
 * Trials of `configs` with every seed, seed-major: every configuration's first seed before
 * any second one, so a drift in machine speed over the run does not fall on one
 * configuration's timings.
 */
export function trialSpecs(study: ResolvedStudy, configs: Configuration[], phase: TrialPhase): TrialSpec[] {
  return studySeeds(study).flatMap((seed) =>
    configs.map((c) => ({ key: trialKey(c.key, seed), configKey: c.key, seed, phase, label: c.label, levels: c.levels, epochs: c.run.train.epochs })),
  );
}

/** The strategy's trials: what a new study enqueues (a TPE study: its start-up trials; the rest follow the results). */
export function searchTrials(study: ResolvedStudy): TrialSpec[] {
  if (study.space.length > 0) return expandStrategy(study).map((c, n) => spaceTrial(study, n, c));
  return trialSpecs(study, expandStrategy(study), 'search');
}

/** Trial `n` of a space study (key `tpe:<n>` or `random:<n>`): its sampled configuration, trained once with the base seed. */
export function spaceTrial(study: ResolvedStudy, n: number, c: Configuration): TrialSpec {
  const seed = studySeeds(study)[0];
  return { key: `${study.strategy.type}:${n}`, configKey: c.key, seed, phase: 'search', label: c.label, levels: [], params: c.params ?? null, epochs: c.run.train.epochs };
}

/**
 * TPE's next suggestion, when nothing is queued and fewer than `trials` are enqueued: sampled
 * from the trials finished so far (by whichever worker or process), so with one worker the
 * sequence is a pure function of the study file. Enqueued under its number (`tpe:<n>`): when two
 * processes suggest the same trial at once, the first insert wins and both run the same one.
 */
export function moreSearchTrials(study: ResolvedStudy, trials: StoredTrial[]): TrialSpec[] {
  const s = study.strategy;
  if (s.type !== 'tpe') return [];
  const search = searchOrder(trials);
  if (search.length >= s.trials || search.some((t) => t.status === 'queued')) return [];
  const before = earlierTrials(study, search, search.length);
  if (!before.every((t) => isFinished(t.status))) return [];
  const params = studySampler(study).suggest(study.space, tpeObservations(study, before), search.length);
  return [spaceTrial(study, search.length, spaceConfiguration(study, params))];
}

/** The search trials in enqueue order: trial n of the search is the n-th (from 0). */
export function searchOrder(trials: StoredTrial[]): StoredTrial[] {
  return trials.filter((t) => t.phase === 'search').sort((a, b) => a.position - b.position);
}

/**
 * The search trials whose results trial `n` may use (TPE's suggestion, the pruner's judgement):
 * those numbered 0 .. n - parallelTrials. Trial n waits until they ended, so what it sees does
 * not depend on how many workers run or how fast; up to `parallelTrials` trials run at once.
 */
export function earlierTrials(study: ResolvedStudy, search: StoredTrial[], n: number): StoredTrial[] {
  return search.slice(0, Math.max(0, n - study.parallelTrials + 1));
}

/**
 * Ended trials as TPE sees them, ranked best first (the loss is the rank): finished trials by
 * their metric, then pruned ones (those that trained longer first, then by their metric when
 * stopped), then diverged ones; ties by enqueue order.
 */
export function tpeObservations(study: ResolvedStudy, trials: StoredTrial[]): Observation[] {
  const dir = direction(study.metric);
  const tier = (t: StoredTrial) => (t.status === 'done' && t.result ? 0 : t.status === 'pruned' && t.result ? 1 : 2);
  const ended = trials.filter((t) => t.params && isFinished(t.status));
  const metric = (t: StoredTrial) => (t.result && Number.isFinite(t.result.metric) ? dir * t.result.metric : -Infinity);
  const sorted = [...ended].sort(
    (a, b) =>
      tier(a) - tier(b) ||
      (tier(a) === 1 ? b.result!.epochs - a.result!.epochs : 0) ||
      (tier(a) < 2 && metric(a) !== metric(b) ? (metric(b) > metric(a) ? 1 : -1) : 0) ||
      a.position - b.position,
  );
  return sorted.map((t, i) => ({ params: t.params!, loss: i }));
}

/** The winner's run with the study's final-model overrides (epochs, early stopping), trained with `seed`. */
export function finalRun(study: ResolvedStudy, run: ResolvedRun, seed: number): ResolvedRun {
  const over: Record<string, unknown> = { seed };
  if (study.final.epochs !== undefined) over.epochs = study.final.epochs;
  if (study.final.earlyStopping !== undefined) over.earlyStopping = study.final.earlyStopping;
  return resolveRun(mergeSpecs(run, { train: over }), 'final');
}

/** The final model's trial: the winner, trained with the study's first seed. */
export function finalTrial(study: ResolvedStudy, winner: Configuration): TrialSpec {
  const seed = studySeeds(study)[0];
  return {
    key: `final:${trialKey(winner.key, seed)}`,
    configKey: winner.key,
    seed,
    phase: 'final',
    label: winner.label,
    levels: winner.levels,
    params: winner.params ?? null,
    epochs: finalRun(study, winner.run, seed).train.epochs,
  };
}

/** Key prefix of the reference model's trial (`final.compareWith`), trained in the final stage beside the winner. */
export const REFERENCE_PREFIX = 'reference:';

/** The reference model's trial, or null when the study names none or it is the winner itself. */
export function referenceTrial(study: ResolvedStudy, winner: Configuration): TrialSpec | null {
  if (!study.reference) return null;
  const seed = studySeeds(study)[0];
  // The same model once the final training applies to both: the winner itself.
  if (configKey(finalRun(study, study.reference.run, seed)) === configKey(finalRun(study, winner.run, seed))) return null;
  const key = configKey(study.reference.run);
  return { key: `${REFERENCE_PREFIX}${trialKey(key, seed)}`, configKey: key, seed, phase: 'final', label: study.reference.label, levels: [], params: null, epochs: finalRun(study, study.reference.run, seed).train.epochs };
}

/** What the finished trials say, as far as the study has come. */
export interface StudyAnalysis {
  search: Configuration[];
  table: Table1;
  /** One-at-a-time: the combined candidate, its check configurations (the candidate first) and, once they ran, the check. */
  candidate: Candidate | null;
  checkConfigs: Configuration[];
  check: InteractionCheck | null;
  /** The forward search when the combination did not hold up: its steps so far, and its outcome once complete. */
  repair: { steps: RepairStep[]; pending: Configuration | null; result: Repair | null; configs: Configuration[] } | null;
  /** The configuration the final model trains, once the search (and check) are complete. */
  winner: Configuration | null;
  stats: Map<string, ConfigStats>;
}

/**
 * Analyse the trials of a study that has reached `stage` (the stages before it complete): the
 * candidate once the search is complete, the interaction check and the winner once that is.
 */
export function analyse(study: ResolvedStudy, trials: StoredTrial[], stage: StudyStage): StudyAnalysis {
  const finished = trials.filter((t) => t.phase !== 'final');
  if (study.space.length > 0) {
    // A space study's configurations are what its trials sampled, in enqueue order.
    const sampled = searchOrder(finished).map((t) => trialConfiguration(study, t));
    const spaceStats = configStats(sampled, finished);
    const best = bestConfig(study, spaceStats.values());
    const winner = sampled.find((c) => c.key === best?.key) ?? null;
    return { search: sampled, table: buildTable1(study, sampled, spaceStats), candidate: null, checkConfigs: [], check: null, repair: null, winner, stats: spaceStats };
  }
  const search = expandStrategy(study);
  let stats = configStats(search, finished);
  const table = buildTable1(study, search, stats);
  if (study.strategy.type !== 'one-at-a-time') {
    const best = bestConfig(study, stats.values());
    return { search, table, candidate: null, checkConfigs: [], check: null, repair: null, winner: search.find((c) => c.key === best?.key) ?? search[0], stats };
  }
  const candidate = combinedCandidate(study, table);
  const candConfig = configuration(study, candidate.levels);
  const checkConfigs = [candConfig, ...neighbourLevels(study, candidate.levels, study.combine.neighbours).map((l) => configuration(study, l))];
  if (stage === 'search') return { search, table, candidate, checkConfigs, check: null, repair: null, winner: null, stats };
  stats = configStats([...search, ...checkConfigs], finished);
  const bestSingle = bestConfig(study, uniqueStats(search, stats));
  const check = interactionCheck(study, candConfig, checkConfigs.slice(1), stats, candidate.sumOfGains, search.find((c) => c.key === bestSingle?.key) ?? null);
  const checkWinner = [...checkConfigs, ...search].find((c) => c.key === check.winnerKey) ?? candConfig;
  // The forward search runs when the candidate diverged, a neighbour beat it, or it is not
  // better than the best single change beyond the noise (with two or more changes to combine).
  const dir = direction(study.metric);
  const vsSingle = check.bestSingle && check.bestSingle.stats.key !== candConfig.key ? check.bestSingle.vsCandidate : null;
  const beatsSingle = !check.bestSingle || check.bestSingle.stats.key === candConfig.key || (vsSingle !== null && vsSingle.significant && dir * vsSingle.diff > 0);
  if ((check.holdsUp && beatsSingle) || candidate.decisions.filter((d) => d.changed).length < 2) {
    return { search, table, candidate, checkConfigs, check, repair: null, winner: checkWinner, stats };
  }
  const repair = walkRepair(study, table, candidate, check, finished);
  stats = configStats([...search, ...checkConfigs, ...repair.configs], finished);
  return { search, table, candidate, checkConfigs, check, repair, winner: repair.result ? configuration(study, repair.result.levels) : null, stats };
}

/**
 * The forward search as far as the finished trials take it: each step's configuration is
 * judged once all its seeds finished (a configuration the search or the check already ran is
 * judged at once); the first one still to run is `pending`.
 */
function walkRepair(study: ResolvedStudy, table: Table1, candidate: Candidate, check: InteractionCheck, trials: StoredTrial[]): NonNullable<StudyAnalysis['repair']> {
  const order = repairOrder(study, table, candidate);
  const seeds = studySeeds(study).length;
  const steps: RepairStep[] = [];
  const configs: Configuration[] = [configuration(study, nextKept(study, steps))];
  for (;;) {
    const levels = nextRepairLevels(study, order, steps);
    if (levels === null) {
      const why = check.candidate && check.candidate.values.length === 0 ? 'The combined candidate diverged' : 'The combined candidate did not hold up';
      return { steps, pending: null, result: finishRepair(study, steps, why), configs };
    }
    const c = configuration(study, levels);
    configs.push(c);
    const done = trials.filter((t) => t.configKey === c.key && isFinished(t.status));
    if (done.length < seeds) return { steps, pending: c, result: null, configs };
    const kept = configuration(study, nextKept(study, steps));
    const stats = configStats([c, kept], trials);
    steps.push(judgeRepairStep(study, order[steps.length], levels, c.label, stats.get(c.key) ?? null, stats.get(kept.key) ?? null));
  }
}

/** The levels of the configuration the kept steps so far make (the base before any). */
function nextKept(study: ResolvedStudy, steps: RepairStep[]): (number | null)[] {
  const kept = steps.filter((s) => s.kept);
  return kept.length ? kept[kept.length - 1].levels : configuration(study, study.factors.map((f) => (f.baseIndex >= 0 ? f.baseIndex : null))).levels;
}

/** Statistics of `configs`, each configuration once, in order. */
export function uniqueStats(configs: Configuration[], stats: Map<string, ConfigStats>): ConfigStats[] {
  const seen = new Set<string>();
  return configs.flatMap((c) => {
    if (seen.has(c.key)) return [];
    seen.add(c.key);
    const s = stats.get(c.key);
    return s ? [s] : [];
  });
}

/**
 * The stage after `stage`, once all its trials finished, and the trials to enqueue with it;
 * `log` gets one line per decision (the candidate's factors, the check's verdict).
 */
export function nextStage(
  study: ResolvedStudy,
  stage: Exclude<StudyStage, 'done'>,
  trials: StoredTrial[],
  hasTest: boolean,
  log: (line: string) => void = () => undefined,
): { to: StudyStage; trials: TrialSpec[] } {
  const final = (winner: Configuration | null) =>
    study.final.enabled && hasTest && winner
      ? { to: 'final' as const, trials: [finalTrial(study, winner), ...[referenceTrial(study, winner)].filter((t): t is TrialSpec => t !== null)] }
      : { to: 'done' as const, trials: [] };
  // A stage is decided once every trial of it ended (here or in another process); until then only
  // TPE adds trials to it (its next suggestion, while others run).
  const phase: TrialPhase = stage.startsWith('repair:') ? 'repair' : (stage as TrialPhase);
  if (trials.some((t) => t.phase === phase && !isFinished(t.status))) return { to: stage, trials: stage === 'search' ? moreSearchTrials(study, trials) : [] };
  if (stage === 'final') return { to: 'done', trials: [] };
  if (stage === 'search') {
    const more = moreSearchTrials(study, trials);
    if (more.length > 0) return { to: 'search', trials: more };
    const a = analyse(study, trials, 'search');
    if (a.candidate) {
      for (const d of a.candidate.decisions) log(`  ${d.factor}: ${d.chosen} (${d.reason})`);
      log(`combined candidate: ${a.checkConfigs[0].label}; interaction check with ${a.checkConfigs.length - 1} neighbours`);
      return { to: 'interaction', trials: trialSpecs(study, a.checkConfigs, 'interaction') };
    }
    return final(a.winner);
  }
  const a = analyse(study, trials, stage);
  if (stage === 'interaction') log(a.check!.summary);
  if (a.repair?.pending) {
    const step = a.repair.steps.length;
    if (stage === 'interaction') log('the combination does not hold up: adding the winning changes one at a time, best first');
    else log(`  ${a.repair.steps[step - 1]?.change}: ${a.repair.steps[step - 1]?.reason}`);
    return { to: `repair:${step}`, trials: trialSpecs(study, [a.repair.pending], 'repair') };
  }
  if (a.repair?.result) log(a.repair.result.summary);
  return final(a.winner);
}

/**
 * Refuse, before a study is created, a network it would train that cannot be built on this
 * data (over the parameter limit, say): every configuration of the strategy, and for a space
 * the one with every numeric range at its top. Trials that fail anyway are recorded as failed.
 */
export function checkPlan(study: ResolvedStudy, inputs: number, classes: number, task: 'classify' | 'regress' = 'classify'): void {
  const configs = study.space.length > 0
    ? [spaceConfiguration(study, Object.fromEntries(study.space.map((p) => [p.path, p.kind === 'range' ? p.high : p.choices[0]])))]
    : expandStrategy(study);
  // A regression network has one linear output (its target scaling does not change its size).
  const model = (c: Configuration) => (task === 'regress' ? { ...networkToModelOptions(c.run.network, inputs, 1), task, classes: 1 } : networkToModelOptions(c.run.network, inputs, classes));
  for (const c of configs) Sequential.check(model(c), `the study's configuration ${c.label}`);
}
