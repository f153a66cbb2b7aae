#!/usr/bin/env node
// Short form of `mkrootfs boot ...`.
import { loadMain } from './launch.js';
const main = await loadMain();
process.exitCode = await main(['boot', ...process.argv.slice(2)]);
