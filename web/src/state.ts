/** What the page holds while it is open: the runs, the data picked, the worker and a few timers. */
import type { Choice, EpochRecord, ResolvedRun } from '../../src/index.js';
import type { LoadedData, ParsedFile, Slot, TaskAsked } from './data.js';
import type { DoneMessage, PreparedMessage, Scatter, SetScores } from './protocol.js';
import type { Synthetic } from './regress/synthetic.js';
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
  /** Regression: the predicted-against-actual figure's rows (validation while training, the final set at the end). */
  scatter: Scatter | null;
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
  /** What the comparison shows: the runs' score (accuracy, or R² for regression) or their validation loss. */
  compareMetric: 'score' | 'valLoss';
  dataMode: 'builtin' | 'regression' | 'files';
  builtin: LoadedData | null;
  builtinError: Error | null;
  /** The built-in regression data as last generated (rows and noise picked), and its files. */
  generated: { synthetic: Synthetic; data: LoadedData } | null;
  /** The task asked for the person's files: decided from the label column, or given. */
  task: TaskAsked;
  /** The task the person's files make as last read (null: none read). */
  filesTask: 'classify' | 'regress' | null;
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
    phase: 'idle', worker: null, current: null, finished: [], runCounter: 0, compareMetric: 'score',
    dataMode: 'builtin', builtin: null, builtinError: null, generated: null, task: 'auto', filesTask: null, slots: {}, labelColumn: null, modeChosen: false, validateTimer: 0, liveTimer: 0, lastLive: 0,
  };
}
