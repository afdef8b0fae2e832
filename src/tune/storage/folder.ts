/**
 * The study folder: the files a study writes there, and the checks that keep a folder of
 * study outputs from being overwritten. Loads no database driver, so building a report does
 * not load SQLite.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { join } from 'node:path';
import { OutputError } from '../../errors.js';

/** File names a study writes into its folder. */
export const STUDY_FILES = { db: 'study.db', report: 'report.html', table: 'table1.md', model: 'final/model.json', summary: 'study.json' } as const;

/** Refuse a folder that holds study outputs but no study database (they would be overwritten). */
export function refuseForeignOutputs(dir: string): void {
  if (!existsSync(dir)) return;
  const ours = Object.values(STUDY_FILES).filter((f) => existsSync(join(dir, f)));
  if (ours.length > 0) {
    throw new OutputError(dir, `holds study outputs (${ours.join(', ')}) but no ${STUDY_FILES.db}; refusing to overwrite them. help: pass another --out folder`);
  }
}

/** Refuse a study folder (or its database `file`) that cannot be written: resuming records trials there. */
export function refuseReadOnly(dir: string, file: string): void {
  for (const path of [dir, file]) {
    try {
      accessSync(path, constants.W_OK);
    } catch {
      throw new OutputError(
        dir,
        `is read-only (${path === dir ? 'the folder' : STUDY_FILES.db} cannot be written), and resuming a study records its trials there. help: make it writable, or copy the folder somewhere writable and pass that as --out`,
      );
    }
  }
}
