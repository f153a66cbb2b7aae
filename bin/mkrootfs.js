#!/usr/bin/env node
// Thin launcher for the mkrootfs CLI.
import { loadMain } from './launch.js';
const main = await loadMain();
process.exitCode = await main(process.argv.slice(2));
