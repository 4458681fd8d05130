/** What the API sees of webhook delivery: dead letters and endpoints (GET/POST /api/webhooks/...). */
import type { Alert } from '../core/types';
import type { WebhookDelivery } from './webhook';
import type { DisabledEndpoint } from './webhook-endpoints';

/** A delivery that failed for good (GET /api/webhooks/dead-letters). */
export interface DeadLetter {
  /** = `delivery`; the id used by the replay route. */
  id: string;
  webhook: string;
  delivery: string;
  eventId: string;
  event: WebhookDelivery['event'];
  /** Absent only for a delivery lost with Redis's data (it cannot be replayed). */
  alert?: Alert;
  error: string;
  attempts: number;
  failedAt: string;
  /** Lost with Redis's data rather than failed at the receiver. */
  lost?: boolean;
}

/** One configured endpoint as the API shows it (no secret, no URL path or query: they often hold tokens). */
export interface WebhookEndpoint {
  name: string;
  /** Scheme, host and port of the URL only. */
  origin: string;
  events: string[];
  cameras?: string[];
  rules?: string[];
  minSeverity: string;
  standardWebhooks: boolean;
  retry: { initialSeconds: number; maxSeconds: number; horizonSeconds: number; attempts?: number };
  status: 'enabled' | 'disabled';
  disabled?: DisabledEndpoint;
  /** Deliveries not yet settled (queued, retrying, or parked while disabled). */
  pending: number;
  deadLetters: number;
}

/** What the API needs of webhook delivery. */
export interface DeadLetters {
  /** Newest first. */
  list(limit?: number): Promise<DeadLetter[]>;
  /** Enqueues the delivery again (same delivery id) and removes it from the list; undefined when unknown. */
  replay(id: string): Promise<DeadLetter | undefined>;
  /** Every configured endpoint with its state. (The endpoint methods are absent only in test stubs.) */
  endpoints?(): Promise<WebhookEndpoint[]>;
  /** Enables an endpoint and queues its parked deliveries again; undefined when no such webhook. */
  enable?(name: string): Promise<{ name: string; wasDisabled: boolean; requeued: number } | undefined>;
  /** Disables an endpoint (its deliveries are kept); undefined when no such webhook. */
  disable?(name: string, admin: string): Promise<{ name: string; wasEnabled: boolean } | undefined>;
}
