import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ERROR_CODES, VigilError } from '../../src/core/errors';

describe('errors', () => {
  it('has a docs/errors.md heading for every code and a code for every heading', () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
    const headings = [...doc.matchAll(/^## (\S+)\s*$/gm)].map((m) => m[1]).sort();
    assert.deepEqual(headings, Object.keys(ERROR_CODES).sort());
  });
  it('documents the HTTP status of each client error as it is defined', () => {
    const doc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'errors.md'), 'utf8');
    for (const [code, status] of Object.entries(ERROR_CODES)) {
      if (status < 500) {
        const section = doc.split(`## ${code}\n`)[1]?.split('\n## ')[0] ?? '';
        assert.match(section, new RegExp(`HTTP ${status}\\b`), `${code} should say HTTP ${status}`);
      }
    }
  });
  it('gives every VigilError the status of its code', () => {
    for (const code of Object.keys(ERROR_CODES) as Array<keyof typeof ERROR_CODES>) {
      assert.equal(new VigilError(code, 'x').status, ERROR_CODES[code]);
    }
  });
});
