/** What the page holds while it is open: the runs, the data picked, the worker and a few timers. */
import type { Choice, EpochRecord, ResolvedRun } from '../../src/index.js';
import type { LoadedData, ParsedFile, Slot } from './data.js';
import type { DoneMessage, PreparedMessage, SetScores } from './protocol.js';
import type { Settings } from './runs.js';

export type Phase = 'idle' | 'running' | 'pausing' | 'paused' | 'stopping';

export interface Run {
  id: number;
  number: number;
  label: string;
  detail: string;
  color: string;
  settings: Settings;
  /** The run as it trains: the page's settings, then what the worker says it chose for the data. */
  spec: ResolvedRun;
  /** What was chosen for the data and why, when the model was left to mlplab. */
  choices: Choice[] | null;
  data: LoadedData;
  history: EpochRecord[];
  prepared: PreparedMessage | null;
  /** Latest scores shown in the confusion matrix and report, and the set they are on. */
  scores: SetScores | null;
  scoresCaption: string;
  grid: number[];
  /** The probability of each grid row's predicted class. */
  gridProba: number[];
  /** The network of a seed ensemble training now, and how many there are. */
  member: { n: number; of: number };
  done: DoneMessage | null;
}

export interface PageState {
  phase: Phase;
  /** The training worker, started with the page and again after a reset or a failure. */
  worker: Worker | null;
  /** The run training or last trained, whose panels are shown. */
  current: Run | null;
  /** Finished runs, oldest first: the table and the comparison chart. */
  readonly finished: Run[];
  runCounter: number;
  compareMetric: 'valAccuracy' | 'valLoss';
  dataMode: 'builtin' | 'files';
  builtin: LoadedData | null;
  builtinError: Error | null;
  /** The files picked, by slot. */
  readonly slots: Partial<Record<Slot, ParsedFile>>;
  /** A picked table's label column, by header name, when the person chose one (else the library's default). */
  labelColumn: string | null;
  /** Whether the person chose the model mode; until then a picked table gets "chosen for the data". */
  modeChosen: boolean;
  validateTimer: number;
  liveTimer: number;
  /** When the live panels were last redrawn (performance.now()). */
  lastLive: number;
}

export function createState(): PageState {
  return {
    phase: 'idle', worker: null, current: null, finished: [], runCounter: 0, compareMetric: 'valAccuracy',
    dataMode: 'builtin', builtin: null, builtinError: null, slots: {}, labelColumn: null, modeChosen: false, validateTimer: 0, liveTimer: 0, lastLive: 0,
  };
}
