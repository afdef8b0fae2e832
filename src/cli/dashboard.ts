import type { Command } from 'commander';
import { ConfigError } from '../errors.js';
import { openDatabase, openFolder } from '../tune/dashboard/source.js';
import { dashboardToken, startDashboard } from '../tune/dashboard/server.js';
import { flag } from './options.js';

interface DashboardFlags {
  storage?: string;
  host: string;
  port: number;
  token?: string;
}

/**
 * `mlplab dashboard [STUDY_FOLDER] [--storage URL]`: a live page over a study store, served
 * until Ctrl-C. It reads the store only (SQLite opened read-only, PostgreSQL on read-only
 * transactions), so it may watch a study while it runs, from any number of browsers.
 */
export function registerDashboardCommand(program: Command): void {
  program
    .command('dashboard')
    .description('serve a live page over a study folder or a PostgreSQL study store: the studies, each one\'s trials, best value over time, Table 1 or parameters (parallel coordinates, importance), workers and leases, and final model; reads only, until Ctrl-C')
    .argument('[folder]', 'a study folder (the --out of mlplab study, default studies/<name>)')
    .addOption(flag('storage'))
    .addOption(flag('host', { default: '127.0.0.1' }))
    .addOption(flag('port', { default: 8321 }))
    .addOption(flag('token'))
    .action(async (folder: string | undefined, flags: DashboardFlags) => {
      if (flags.port < 0 || flags.port > 65535) throw new ConfigError('--port', flags.port, 'a port from 0 (any free one) to 65535');
      const token = dashboardToken(flags.host, flags.token);
      if (folder !== undefined && flags.storage !== undefined) throw new ConfigError('<folder>', folder, 'a study folder or --storage URL, not both');
      if (folder === undefined && flags.storage === undefined) throw new ConfigError('<folder>', folder, 'a study folder, or --storage URL for studies in PostgreSQL');
      const source = flags.storage !== undefined ? await openDatabase(flags.storage) : openFolder(folder!);
      let running;
      try {
        running = await startDashboard(source, { host: flags.host, port: flags.port, token });
      } catch (e) {
        await source.close();
        throw e;
      }
      process.stdout.write(`dashboard: ${running.url}\n`);
      const dashboard = running;
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void dashboard
            .close()
            .then(() => source.close())
            .catch(() => undefined)
            .then(() => resolve());
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
    });
}
