import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Module, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { consoleHandler } from './console-files';

/**
 * Serves the web console (apps/console, built by Vite into dist/console) under /console. It is
 * a plain client of the REST API: this module only hands out its static files.
 *
 * Mounted on the HTTP server when modules initialise: after Nest has added its routes (all under
 * /api/v1 or named ones, none under /console) and before its not-found handler.
 */
@Module({})
export class ConsoleModule implements OnModuleInit {
  constructor(private readonly adapterHost: HttpAdapterHost) {}

  onModuleInit(): void {
    const server = this.adapterHost.httpAdapter?.getInstance<{
      use(handler: ReturnType<typeof consoleHandler>): void;
    }>();
    server?.use(consoleHandler(consoleBuildDir()));
  }
}

/** dist/console next to the compiled broker, or the repository's dist/console when run from source. */
export function consoleBuildDir(): string {
  const root = join(__dirname, '..', '..', '..', '..');
  const candidates = [join(root, 'console'), join(root, 'dist', 'console')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html'))) ?? candidates[0];
}
