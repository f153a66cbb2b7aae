#!/usr/bin/env node
// Thin launcher for the mkrootfs CLI.
'use strict';
require('./launch.js').launch(process.argv.slice(2));
