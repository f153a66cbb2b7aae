#!/usr/bin/env node
// Short form of `mkrootfs boot ...`.
'use strict';
require('./launch.js').launch(['boot', ...process.argv.slice(2)]);
