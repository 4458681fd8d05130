import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../../src/alerts/sinks/webhook-format';

/** One request as the receiver saw it. */
export interface Received {
  delivery: string;
  event: string;
  timestamp: string;
  signatureValid: boolean;
  body: string;
}

/** A local webhook receiver that can be taken down (connection refused) and brought back on the same port. */
export class Receiver {
  readonly received: Received[] = [];
  private server?: http.Server;
  port = 0;

  constructor(private readonly secret: string) {}

  async up(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const h = req.headers;
        this.received.push({
          delivery: String(h['x-vigil-delivery']),
          event: String(h['x-vigil-event']),
          timestamp: String(h['x-vigil-timestamp']),
          signatureValid: h['content-type'] === 'application/json' && verifySignature(this.secret, String(h['x-vigil-timestamp']), body, String(h['x-vigil-signature'])),
          body,
        });
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, '127.0.0.1', () => resolve()));
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  }

  /** Delivery ids received more than once. */
  duplicates(): string[] {
    const seen = new Set<string>();
    const dup: string[] = [];
    for (const r of this.received) {
      if (seen.has(r.delivery)) {
        dup.push(r.delivery);
      }
      seen.add(r.delivery);
    }
    return dup;
  }
}
