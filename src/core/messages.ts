/**
 * Pure: the encoders of the messages Vigil sends. One function per message, so the WebSocket hub and the MQTT
 * sink send the same bytes for the same event.
 */
import type { AlertEventEntry, AlertMessage } from './types';

/** The `alert` message of an alert event (docs/api.md), as JSON text. */
export function encodeAlertMessage(e: AlertEventEntry): string {
  const m: AlertMessage = { type: 'alert', event: e.event, id: e.id, alert: e.alert };
  return JSON.stringify(m);
}
