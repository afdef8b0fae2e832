/**
 * Every error mlplab raises on purpose is a subclass of `MlplabError`, so a caller (or the
 * command line) can tell a user mistake from a bug. Messages say what was received, what
 * was expected and, where there is one, how to fix it.
 */
export class MlplabError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** Render a received value for an error message, short and unambiguous. */
export function describeValue(value: unknown): string {
  // A value quoted in a message is cut to its start: a 50 MB string stays a short line.
  if (typeof value === 'string') return value.length > 80 ? `${JSON.stringify(value.slice(0, 77)).slice(0, -1)}..." (${value.length} characters)` : JSON.stringify(value);
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value);
  if (value === undefined) return 'undefined';
  try {
    // Keep NaN and infinities visible: JSON would print them as null.
    const marks: string[] = [];
    const raw = JSON.stringify(value, (_k, v: unknown) =>
      typeof v === 'number' && !Number.isFinite(v) ? `\u0000${marks.push(String(v)) - 1}\u0000` : v,
    );
    const text = raw.replace(/"\\u0000(\d+)\\u0000"/g, (_m, i: string) => marks[Number(i)]);
    return text.length > 80 ? `${text.slice(0, 77)}...` : text;
  } catch {
    // Too deep or circular to print: say what it is.
    return Array.isArray(value) ? `a list of ${value.length}` : typeof value === 'object' ? 'an object' : typeof value;
  }
}

/** A configuration field (model, training, study or CLI option) holds a value that is not allowed. */
export class ConfigError extends MlplabError {
  constructor(
    readonly field: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${field}: got ${describeValue(value)}, expected ${expected}`);
  }
}

/** A data file is missing, malformed or inconsistent. `file` names it. */
export class DataError extends MlplabError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** A saved model cannot be read: wrong format, other version, checksum mismatch. */
export class ModelFormatError extends MlplabError {
  constructor(
    readonly file: string,
    readonly problem: string,
  ) {
    super(`${file}: ${problem}`);
  }
}

/** Shapes that must agree do not (for example features of the input vs the model). */
export class ShapeError extends MlplabError {}

/** Training produced a non-finite loss; the run stops instead of producing garbage. */
export class DivergenceError extends MlplabError {
  constructor(
    readonly epoch: number,
    readonly step: number,
    readonly loss: number,
  ) {
    super(
      `training diverged: loss became ${loss} at epoch ${epoch}, step ${step}. ` +
        'help: lower the learning rate, turn on batch normalisation, or standardise the features',
    );
  }
}

/**
 * A worker thread of a multi-threaded run failed or stopped: the run ends with this instead of
 * waiting for it. The message names the thread and what happened.
 */
export class ThreadError extends MlplabError {}

/** An output cannot be written (unwritable folder, disk full). */
export class OutputError extends MlplabError {
  constructor(
    readonly path: string,
    readonly problem: string,
  ) {
    super(`${path}: ${problem}`);
  }
}

/**
 * A study's database cannot be used: unreachable, refused credentials, another schema
 * version, a study name taken by another config. `where` names it (a PostgreSQL URL without
 * its password, or a study.db path).
 */
export class StorageError extends MlplabError {
  constructor(
    readonly where: string,
    readonly problem: string,
  ) {
    super(`${where}: ${problem}`);
  }
}
