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
// Runs the compiled daemon (dist/, built by `npm run build`) when it is up to date. `npm install` builds nothing
// (.npmrc: ignore-scripts), so in a checkout without a build, or with a build older than a source file (after a
// `git pull`), it runs the TypeScript sources through tsx instead: never a stale build. VIGIL_FROM_SOURCE=1 forces
// the sources. Where tsx is not installed (a production image pruned of dev dependencies) the build always runs.
const fs = require('node:fs');
const path = require('node:path');
const root = path.join(__dirname, '..');
const built = path.join(root, 'dist', 'main.js');

/** Is a .ts file under `dir` newer than `t` (ms)? */
function newerSource(dir, t) {
  let entries;
  try {
    entries = fs.readdirSync(dir, { withFileTypes: true });
  } catch {
    return false;
  }
  for (const e of entries) {
    const p = path.join(dir, e.name);
    if (e.isDirectory() ? newerSource(p, t) : e.name.endsWith('.ts') && fs.statSync(p).mtimeMs > t) {
      return true;
    }
  }
  return false;
}

function hasTsx() {
  try {
    require.resolve('tsx/cjs');
    return true;
  } catch {
    return false;
  }
}

const useBuild =
  fs.existsSync(built) &&
  !process.env.VIGIL_FROM_SOURCE &&
  (!hasTsx() || !newerSource(path.join(root, 'src'), fs.statSync(built).mtimeMs));
if (useBuild) {
  require(built).main(process.argv.slice(2));
} else {
  require('tsx/cjs');
  require(path.join(root, 'src', 'main.ts')).main(process.argv.slice(2));
}
