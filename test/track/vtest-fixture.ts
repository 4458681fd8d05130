/** Shared by the vtest tests: the recorded detections and the rules file. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DetectionResult } from '../../src/core/types';

const FIX = join(__dirname, '..', 'fixtures');
export function vtestDetections(): DetectionResult[] {
  return readFileSync(join(FIX, 'vtest-detections.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as DetectionResult);
}
export const VTEST_CONFIG = join(FIX, 'vtest-rules.yaml');

