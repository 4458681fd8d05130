/**
 * Pure parts of webhook delivery: filters, body templates and the signature (retry delays: webhook-retry.ts). No I/O here.
 */
import { createHmac } from 'node:crypto';
import type { WebhookConfig } from '../../config/schema';
import { SEVERITIES, type Alert, type AlertEventKind } from '../../core/types';

/** What a webhook filter looks at. */
export type WebhookFilter = Pick<WebhookConfig, 'events' | 'cameras' | 'rules' | 'minSeverity'>;

/** The event name on the wire (`X-Vigil-Event`, body `event`). */
export function eventName(kind: AlertEventKind): 'alert.start' | 'alert.update' | 'alert.end' {
  return `alert.${kind}`;
}

/** Does the webhook want this event of this alert? (events, cameras, rules, minimum severity) */
export function webhookMatches(filter: WebhookFilter, kind: AlertEventKind, alert: Alert): boolean {
  if (!filter.events.includes(eventName(kind))) {
    return false;
  }
  if (filter.cameras && filter.cameras.length > 0 && !filter.cameras.includes(alert.camera)) {
    return false;
  }
  if (filter.rules && filter.rules.length > 0 && !filter.rules.includes(alert.rule)) {
    return false;
  }
  return SEVERITIES.indexOf(alert.severity) >= SEVERITIES.indexOf(filter.minSeverity);
}

/** `sha256=HEX`: HMAC-SHA256 of `TIMESTAMP.BODY` with the webhook's secret (CONTRACT.md). */
export function signBody(secret: string, timestampS: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`;
}

/** Checks a signature as a receiver would (used by tests and documented for receivers). */
export function verifySignature(secret: string, timestampS: string | number, body: string, signature: string): boolean {
  return signBody(secret, Number(timestampS), body) === signature;
}

/** The CONTRACT body. */
export function defaultBody(kind: AlertEventKind, alert: Alert): string {
  return JSON.stringify({ event: eventName(kind), alert });
}

function lookup(root: Record<string, unknown>, path: string): unknown {
  let v: unknown = root;
  for (const part of path.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, part)) {
      return undefined;
    }
    v = (v as Record<string, unknown>)[part];
  }
  return v;
}

/**
 * Renders a body template: `{{alert.camera}}`, `{{alert.objects.0.label}}`, `{{event}}`, `{{delivery}}`. Inside a
 * JSON string a value is inserted JSON-escaped (objects as their JSON text); outside a string it is inserted as a
 * JSON value (missing = null). So no alert content can break out of the template's JSON.
 */
export function renderTemplate(template: string, kind: AlertEventKind, alert: Alert, delivery: string): string {
  const root: Record<string, unknown> = { alert, event: eventName(kind), delivery };
  let out = '';
  let inString = false;
  let i = 0;
  while (i < template.length) {
    const c = template[i];
    if (c === '{' && template[i + 1] === '{') {
      const end = template.indexOf('}}', i + 2);
      if (end > 0) {
        const value = lookup(root, template.slice(i + 2, end).trim());
        if (inString) {
          const text = value === undefined || value === null ? '' : typeof value === 'string' ? value : JSON.stringify(value);
          out += JSON.stringify(text).slice(1, -1);
        } else {
          out += JSON.stringify(value ?? null);
        }
        i = end + 2;
        continue;
      }
    }
    if (c === '\\' && inString) {
      out += c + (template[i + 1] ?? '');
      i += 2;
      continue;
    }
    if (c === '"') {
      inString = !inString;
    }
    out += c;
    i++;
  }
  return out;
}

/** The body sent for one delivery: the template when configured, else the CONTRACT body. */
export function webhookBody(template: string | undefined, kind: AlertEventKind, alert: Alert, delivery: string): string {
  return template === undefined ? defaultBody(kind, alert) : renderTemplate(template, kind, alert, delivery);
}

/** A sample alert used to check templates at start (a template must render to valid JSON). */
export const SAMPLE_ALERT: Alert = {
  id: '1700000000000-0',
  rule: 'sample',
  type: 'zone_enter',
  camera: 'sample',
  severity: 'medium',
  state: 'active',
  startedAt: '2023-11-14T22:13:20.000Z',
  updatedAt: '2023-11-14T22:13:20.000Z',
  objects: [{ trackId: 1, label: 'person "quoted"', score: 0.9, box: [0.1, 0.1, 0.2, 0.5] }],
  snapshot: '/api/alerts/1700000000000-0/snapshot.jpg',
  latencyMs: 120,
};

/** Throws a TypeError when a template does not render to valid JSON. */
export function checkTemplate(name: string, template: string): void {
  const body = renderTemplate(template, 'start', SAMPLE_ALERT, 'sample');
  try {
    JSON.parse(body);
  } catch {
    throw new TypeError(`webhooks.${name}.template: does not render to valid JSON`);
  }
}

/** Delivery id: unique per (event, webhook), the same on every retry (receivers de-duplicate with it). */
export function deliveryId(eventId: string, webhook: string): string {
  return `${eventId}.${webhook}`;
}

/** Webhook names: configured, else `webhook-N` (1-based position). */
export function webhookName(w: Pick<WebhookConfig, 'name'>, index: number): string {
  return w.name ?? `webhook-${index + 1}`;
}
