/**
 * Pure parts of webhook delivery: filters, the body and the signature (body templates: core/webhook-template.ts;
 * retry delays: webhook-retry.ts). No I/O here.
 */
import { createHmac } from 'node:crypto';
import type { WebhookConfig } from '../config/schema';
import { SEVERITIES, type Alert, type AlertEventKind } from '../core/types';
import { eventName, renderTemplate } from '../core/webhook-template';

/** What a webhook filter looks at. */
export type WebhookFilter = Pick<WebhookConfig, 'events' | 'cameras' | 'rules' | 'minSeverity'>;

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

/** `sha256=HEX`: HMAC-SHA256 of `TIMESTAMP.BODY` with the webhook's secret (`X-Vigil-Signature`, docs/api.md). */
export function signBody(secret: string, timestampS: number, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestampS}.${body}`).digest('hex')}`;
}

/** Checks a signature as a receiver would (used by tests and documented for receivers). */
export function verifySignature(secret: string, timestampS: string | number, body: string, signature: string): boolean {
  return signBody(secret, Number(timestampS), body) === signature;
}

/** The default body: `{"event":"alert.<kind>","alert":{...}}` (docs/api.md, Webhooks). */
export function defaultBody(kind: AlertEventKind, alert: Alert): string {
  return JSON.stringify({ event: eventName(kind), alert });
}

/** The body sent for one delivery: the template when configured, else the default body. */
export function webhookBody(template: string | undefined, kind: AlertEventKind, alert: Alert, delivery: string): string {
  return template === undefined ? defaultBody(kind, alert) : renderTemplate(template, kind, alert, delivery);
}

/** Delivery id: unique per (event, webhook), the same on every retry (receivers de-duplicate with it). */
export function deliveryId(eventId: string, webhook: string): string {
  return `${eventId}.${webhook}`;
}

/** Webhook names: configured, else `webhook-N` (1-based position). */
export function webhookName(w: Pick<WebhookConfig, 'name'>, index: number): string {
  return w.name ?? `webhook-${index + 1}`;
}
