#!/usr/bin/env node
// The `doorman` command: the compiled CLI, or a word on how to build it in a checkout.
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const main = join(__dirname, '..', '..', '..', 'dist', 'apps', 'cli', 'src', 'main.js');
if (!existsSync(main)) {
  process.stderr.write('doorman is not built yet: run `npm run build` in the Doorman checkout\n');
  process.exit(1);
}
require(main);
