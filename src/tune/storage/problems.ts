/**
 * The refusals both study stores share: tables of another schema version, and a study that
 * exists with another config. A study folder (SQLite) is named as an output folder
 * (OutputError); a PostgreSQL database as storage (StorageError).
 */
import { OutputError, StorageError } from '../../errors.js';
import { STORAGE_SCHEMA_VERSION } from './types.js';

/** Refuse tables whose stored schema version (`value`, from mlplab_meta) is not this mlplab's. */
export function checkSchemaVersion(kind: 'sqlite' | 'postgresql', where: string, value: string | undefined): void {
  if (Number(value) !== STORAGE_SCHEMA_VERSION) throw otherVersion(kind, where, value ?? 'unknown');
}

/** Tables written by another mlplab version (`version`: theirs, or 'unknown'). */
export function otherVersion(kind: 'sqlite' | 'postgresql', where: string, version: number | string): Error {
  if (kind === 'sqlite') {
    return new OutputError(
      where,
      `was written by another mlplab version (study schema ${version}, this mlplab reads ${STORAGE_SCHEMA_VERSION}). help: pass another --out folder, or use the mlplab version that wrote it`,
    );
  }
  return new StorageError(
    where,
    `holds mlplab tables of schema version ${version}, and this mlplab uses version ${STORAGE_SCHEMA_VERSION}; nothing was changed. ` +
      'help: run the mlplab version that wrote them, or give this version a database of its own',
  );
}

/** A study folder holding another config's study (`theirs` and `ours`: config hashes): refused, its results kept. */
export function folderConflict(dir: string, name: string, theirs: string, ours: string): OutputError {
  return new OutputError(
    dir,
    `holds the results of study "${name}" written by a different config (hash ${theirs}, this config ${ours}); ` +
      'its results are kept and not mixed with these. help: pass another --out folder to start a fresh study, or run the config that wrote it to resume',
  );
}

/** A study name that exists with another config: refused, both kept apart. */
export function studyConflict(where: string, name: string, theirs: string, ours: string): StorageError {
  return new StorageError(
    where,
    `holds a study named "${name}" with a different config (hash ${theirs}, this config ${ours}); its trials are kept and not mixed with these. ` +
      'help: give this study another "name", or run the config that created it to join it',
  );
}
