/**
 * Shared test helpers: waiting with a deadline, the test Redis (prefixes, purge, a private redis-server), child
 * processes ended by pid, and where the real media and models are. Stage-specific helpers live next to their tests
 * (test/api/helpers.ts, test/ingest/helpers.ts, test/faces/helpers.ts) and build on these.
 */
export { sleep, timeUntil, waitFor } from './wait';
export { purge, purgePrefix, REDIS_URL, RedisTestServer, testPrefix } from './redis';
export { alive, Children, killPid, stopChild } from './process';
export { BIN, MEDIA, MODELS, VTEST } from './media';
