/**
 * Pure: what a configuration reload (SIGHUP or POST /api/config/reload) may not change while the daemon runs. The
 * listener is bound once at start: a reload that would move it (host, port, TLS) is refused, because it would not
 * take effect and the checks made against the new file (for example "no tokens only on loopback") would be made
 * against an address the server is not listening on. A reload may not switch authentication off while the server
 * is bound beyond loopback either. Redis (url, prefix) is also fixed for the life of the process.
 */
import type { VigilConfig } from './schema';
import { isLoopbackHost } from './schema/server';

/** Pure: why `next` cannot replace `running` (each `PATH: message`); empty when the reload may be applied. */
export function reloadProblems(running: VigilConfig, next: VigilConfig): string[] {
  const problems: string[] = [];
  const was = running.server;
  const now = next.server;
  const restart = 'restart the daemon to change it';
  if (now.host !== was.host) {
    problems.push(`server.host: a reload cannot change the listener (listening on ${was.host}, the file says ${now.host}); ${restart}`);
  }
  if (now.port !== was.port) {
    problems.push(`server.port: a reload cannot change the listener (listening on port ${was.port}, the file says ${now.port}); ${restart}`);
  }
  const tls = (c: VigilConfig['server']) => (c.tls ? `${c.tls.cert} + ${c.tls.key}` : 'off');
  if (tls(now) !== tls(was)) {
    problems.push(`server.tls: a reload cannot change TLS (running: ${tls(was)}, the file says ${tls(now)}); ${restart}`);
  }
  if (now.tokens.length === 0 && was.tokens.length > 0 && !isLoopbackHost(was.host)) {
    problems.push(`server.tokens: a reload cannot switch authentication off while the server listens on ${was.host} (beyond loopback)`);
  }
  if (next.redis.url !== running.redis.url || next.redis.prefix !== running.redis.prefix) {
    problems.push(`redis: a reload cannot change the Redis URL or prefix; ${restart}`);
  }
  return problems;
}
