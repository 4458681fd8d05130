import { z } from 'zod';

/** `redis:` section. */
export const redisSchema = z
  .strictObject({
    /** Redis URL. @defaultValue redis://127.0.0.1:6379 */
    url: z.string().regex(/^rediss?:\/\//, 'must be a redis:// or rediss:// URL').default('redis://127.0.0.1:6379'),
    /** Every key and queue lives under this prefix. @defaultValue vigil */
    prefix: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'must match [A-Za-z0-9_.-]{1,64}').default('vigil'),
  })
  .prefault({});
export type RedisConfig = z.infer<typeof redisSchema>;
