#!/usr/bin/env node
// Short form of `mkrootfs boot ...`.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(['boot', ...process.argv.slice(2)]);
