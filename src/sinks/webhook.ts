import type { WebhookConfig } from '../config/schema';
import type { Alert, AlertEventKind } from '../core/types';
import { eventName } from '../core/webhook-template';
import { signBody, webhookBody } from './webhook-format';
import { RETRY_AFTER_STATUSES, parseRetryAfter } from './webhook-retry';
import { standardHeaders } from '../core/webhook-standard';

/** One delivery as it sits in the BullMQ job (no URL and no secret: those are read from the config). */
export interface WebhookDelivery {
  /** Webhook name (`webhooks[].name`, else `webhook-N`). */
  webhook: string;
  /** `X-Vigil-Delivery`: the same on every attempt and on a replay. */
  delivery: string;
  /** Stream id of the alert event. */
  eventId: string;
  event: AlertEventKind;
  alert: Alert;
}

/**
 * A failed attempt; `status` is the receiver's HTTP status when it answered, `retryAfterMs` its `Retry-After`
 * (only read on 429 and 503).
 */
export class WebhookSendError extends Error {
  constructor(
    message: string,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'WebhookSendError';
  }
}

/**
 * POSTs one delivery to the configured URL with the `X-Vigil-*` headers of docs/api.md (and the Standard Webhooks ones when
 * `standardWebhooks` is set); resolves on 2xx, rejects with a WebhookSendError otherwise (non-2xx, timeout,
 * network). Redirects are not followed (a 3xx is a failure). The message never holds the URL or the secret.
 */
export async function sendWebhook(hook: WebhookConfig, d: WebhookDelivery, now: () => number = Date.now): Promise<void> {
  const body = webhookBody(hook.template, d.event, d.alert, d.delivery);
  const ts = Math.floor(now() / 1000);
  const headers: Record<string, string> = {
    ...hook.headers,
    'content-type': 'application/json',
    'user-agent': 'vigil-webhook',
    'x-vigil-event': eventName(d.event),
    'x-vigil-delivery': d.delivery,
    'x-vigil-timestamp': String(ts),
    'x-vigil-signature': signBody(hook.secret, ts, body),
    ...(hook.standardWebhooks ? standardHeaders(hook.secret, d.delivery, ts, body) : {}),
  };
  let res: Response;
  try {
    res = await fetch(hook.url, {
      method: 'POST',
      body,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(hook.timeoutMs),
    });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string } };
    const why = e.name === 'TimeoutError' ? `timeout after ${hook.timeoutMs} ms` : (e.cause?.code ?? e.name);
    throw new WebhookSendError(`request failed: ${why}`);
  }
  // Drain the answer so the connection can be reused; its content is not needed.
  await res.arrayBuffer().catch(() => undefined);
  if (res.status < 200 || res.status >= 300) {
    const retryAfter = RETRY_AFTER_STATUSES.has(res.status) ? parseRetryAfter(res.headers.get('retry-after'), now()) : undefined;
    throw new WebhookSendError(`receiver answered HTTP ${res.status}`, res.status, retryAfter);
  }
}
