import { spawnSync } from 'node:child_process';

/**
 * Runs `promtool check metrics` on a scrape; returns its problems ('' when accepted). promtool ships with Debian's
 * `prometheus` package (.ci/run installs it when missing); without it the check fails, never passes silently.
 */
export function promtoolCheck(text: string): string {
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  if (r.error) {
    throw new Error(`promtool could not run (${r.error.message}): install Debian's prometheus package (apt-get install prometheus)`);
  }
  return r.status === 0 ? '' : `promtool exited ${r.status}: ${r.stdout}${r.stderr}`.trim();
}
