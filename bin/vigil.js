#!/usr/bin/env node
'use strict';
// First of all, before any module loads (V8 reads this limit only until its first full GC): start the old
// generation with room for the frame path's steady state. Every frame brings ~1 MB of external memory (pipe chunks),
// which triggers frequent scavenges that promote the objects of frames in flight; at V8's default initial limit,
// barely above the daemon's ~23 MB of live objects, 2 of 9 `vigil bench` pipeline runs fell into back-to-back
// mark-compacts (44-90 per 15 s run, every 100-200 ms, --trace-gc), costing 5-10 % of the throughput. 256 MB is a
// limit, not memory taken. Skipped when the operator sets the flag on the command line.
if (!process.execArgv.some((a) => a.startsWith('--initial-old-space-size'))) {
  require('node:v8').setFlagsFromString('--initial-old-space-size=256');
}
// Runs the compiled daemon (dist/, built by `npm install` through the prepare script). Inside a checkout
// without a build, fall back to the TypeScript sources through tsx.
const fs = require('node:fs');
const path = require('node:path');
const built = path.join(__dirname, '..', 'dist', 'main.js');
if (fs.existsSync(built) && !process.env.VIGIL_FROM_SOURCE) {
  require(built).main(process.argv.slice(2));
} else {
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'src', 'main.ts')).main(process.argv.slice(2));
}
