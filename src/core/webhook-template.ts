/**
 * The webhook body template language, pure: `{{path}}` placeholders rendered from an alert event. The config schema
 * checks templates with it at load time and the webhook sink renders bodies with it, so it sits below both.
 */
import type { Alert, AlertEventKind } from './types';

/** The event name on the wire (`X-Vigil-Event`, body `event`). */
export function eventName(kind: AlertEventKind): `alert.${AlertEventKind}` {
  return `alert.${kind}`;
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
