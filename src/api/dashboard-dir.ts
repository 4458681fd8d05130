import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * The dashboard's static folder, `src/api/dashboard` under the package root. tsc does not copy non-TS files into
 * dist/, so both `tsx src/...` and `node dist/src/...` runs look for the package root (the folder with
 * package.json) above this file and serve from its `src/api/dashboard`.
 */
export function dashboardDir(from: string = __dirname): string {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'src', 'api', 'dashboard');
    if (existsSync(path.join(dir, 'package.json')) && existsSync(candidate)) {
      return candidate;
    }
    const up = path.dirname(dir);
    if (up === dir) {
      throw new Error(`dashboard files not found above ${from}`);
    }
    dir = up;
  }
}
