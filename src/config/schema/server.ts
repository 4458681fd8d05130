import { z } from 'zod';

export const tokenSchema = z.strictObject({
  /** Who holds the token (shown in logs; the token itself never is). */
  name: z.string().min(1, 'must not be empty'),
  token: z.string().min(16, 'must be at least 16 characters'),
  role: z.enum(['viewer', 'admin']).default('viewer'),
});

/** `server:` section: HTTP API, WebSocket and dashboard on one port. */
export const serverSchema = z
  .strictObject({
    /** Interface to listen on. Without tokens only loopback is allowed. @defaultValue 127.0.0.1 */
    host: z.string().default('127.0.0.1'),
    /** TCP port; 0 picks a free one. @defaultValue 8080 */
    port: z.number().int().min(0, 'must be a port number 0..65535').max(65535, 'must be a port number 0..65535').default(8080),
    tokens: z.array(tokenSchema).default([]),
    /** Largest HTTP body accepted, bytes. @defaultValue 8 MiB */
    bodyLimitBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(8 * 1024 * 1024),
    /** Largest WebSocket message accepted from a client, bytes (bigger: close 1009). @defaultValue 64 KiB */
    wsMaxMessageBytes: z.number().int().min(256).max(16 * 1024 * 1024).default(64 * 1024),
    /** A client whose unsent data exceeds this is cut off. @defaultValue 4 MiB */
    wsMaxBufferedBytes: z.number().int().min(16 * 1024).default(4 * 1024 * 1024),
    /** Ping interval; a client that misses a pong is dropped. @defaultValue 30 */
    wsPingIntervalS: z.number().min(1).max(600).default(30),
  })
  .prefault({});
export type ServerConfig = z.infer<typeof serverSchema>;
