import WebSocket from 'ws';

/** A test WebSocket client that records every message. */
export class TestClient {
  readonly messages: Array<Record<string, unknown>> = [];
  readonly alerts: Array<{ id: string; event: string; alert: { id: string; camera: string; updatedAt: string }; at: number }> = [];
  closeCode?: number;
  private waiters: Array<() => void> = [];

  constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const m = JSON.parse(data.toString()) as Record<string, unknown>;
      this.messages.push(m);
      if (m.type === 'alert') {
        this.alerts.push({ ...(m as object), at: Date.now() } as TestClient['alerts'][number]);
      }
      this.waiters.splice(0).forEach((w) => w());
    });
    ws.on('close', (code) => {
      this.closeCode = code;
      this.waiters.splice(0).forEach((w) => w());
    });
    ws.on('error', () => undefined);
  }

  /** Opens a client and waits for `hello`. */
  static async open(url: string, options: WebSocket.ClientOptions = {}): Promise<TestClient> {
    const ws = new WebSocket(url, options);
    const c = new TestClient(ws);
    await c.until(() => c.messages.some((m) => m.type === 'hello'), 10_000, 'hello');
    return c;
  }

  send(x: unknown): void {
    this.ws.send(typeof x === 'string' ? x : JSON.stringify(x));
  }

  /** Resolves when `cond()` holds (checked on each message), rejects after `ms`. */
  until(cond: () => boolean, ms = 10_000, what = 'condition'): Promise<void> {
    return new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
      const check = () => {
        if (cond()) {
          clearTimeout(t);
          resolve();
        } else if (this.closeCode !== undefined && !cond()) {
          clearTimeout(t);
          reject(new Error(`closed (${this.closeCode}) while waiting for ${what}`));
        } else {
          this.waiters.push(check);
        }
      };
      check();
    });
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Attempts an upgrade and reports the HTTP status of a refusal (or 101). */
export function upgradeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.on('error', () => resolve(-1));
  });
}
