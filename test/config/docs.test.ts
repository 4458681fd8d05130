import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { render } from '../../scripts/gen-config-docs';

describe('docs/config.md', () => {
  it('matches the schema (regenerate with `npx tsx scripts/gen-config-docs.ts`)', () => {
    const onDisk = readFileSync(path.join(__dirname, '..', '..', 'docs', 'config.md'), 'utf8');
    assert.equal(onDisk, render());
  });
});
