#!/usr/bin/env node
// Short form of `mkrootfs boot ...`.
import { loadMain } from './launch.js';
const args = ['boot', ...process.argv.slice(2)];
const main = await loadMain(args);
process.exitCode = await main(args);
