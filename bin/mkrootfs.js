#!/usr/bin/env node
// Thin launcher for the mkrootfs CLI.
import { loadMain } from './launch.js';
const args = process.argv.slice(2);
const main = await loadMain(args);
process.exitCode = await main(args);
