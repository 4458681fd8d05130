import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { verifySignature } from '../../src/sinks/webhook-format';
import { verifyStandard } from '../../src/core/webhook-standard';

/** One request as the receiver saw it. */
export interface Received {
  delivery: string;
  event: string;
  timestamp: string;
  signatureValid: boolean;
  /** Standard Webhooks headers checked (undefined when the request had none). */
  standardValid?: boolean;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Arrival time, ms. */
  at: number;
  /** The status it was answered with. */
  status: number;
}

/** How the receiver answers a request (default 204). */
export type Reply = (r: Omit<Received, 'status'>) => { status: number; headers?: Record<string, string> };

/** A local webhook receiver that can be taken down (connection refused) and brought back on the same port. */
export class Receiver {
  readonly received: Received[] = [];
  private server?: http.Server;
  port = 0;
  reply: Reply = () => ({ status: 204 });

  constructor(private readonly secret: string) {}

  async up(): Promise<void> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const h = req.headers;
        const r = {
          delivery: String(h['x-vigil-delivery']),
          event: String(h['x-vigil-event']),
          timestamp: String(h['x-vigil-timestamp']),
          signatureValid: h['content-type'] === 'application/json' && verifySignature(this.secret, String(h['x-vigil-timestamp']), body, String(h['x-vigil-signature'])),
          ...(h['webhook-id'] !== undefined
            ? { standardValid: verifyStandard(this.secret, String(h['webhook-id']), String(h['webhook-timestamp']), body, String(h['webhook-signature'])) }
            : {}),
          headers: h,
          body,
          at: Date.now(),
        };
        const answer = this.reply(r);
        this.received.push({ ...r, status: answer.status });
        res.writeHead(answer.status, answer.headers).end();
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

  /** Requests answered 2xx. */
  accepted(): Received[] {
    return this.received.filter((r) => r.status >= 200 && r.status < 300);
  }

  /** Delivery ids accepted (2xx) more than once. */
  duplicates(): string[] {
    const seen = new Set<string>();
    const dup: string[] = [];
    for (const r of this.accepted()) {
      if (seen.has(r.delivery)) {
        dup.push(r.delivery);
      }
      seen.add(r.delivery);
    }
    return dup;
  }
}
