#!/usr/bin/env node
'use strict';
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
