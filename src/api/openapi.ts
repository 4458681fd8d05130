import { VERSION } from '../core/version';

type Op = Record<string, unknown>;

const err = { $ref: '#/components/responses/Error' };
const json = (schema: object, description = 'OK') => ({ description, content: { 'application/json': { schema } } });
const jpeg = { description: 'JPEG image', content: { 'image/jpeg': { schema: { type: 'string', format: 'binary' } } } };
const idParam = (description: string) => ({ name: 'id', in: 'path', required: true, schema: { type: 'string' }, description });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

function op(summary: string, responses: Record<string, unknown>, extra: Op = {}, opts: { admin?: boolean; open?: boolean } = {}): Op {
  const o: Op = { summary, responses: { ...responses, ...(opts.open ? {} : { '401': err, '429': err }), ...(opts.admin ? { '403': err } : {}) }, ...extra };
  if (opts.open) {
    o.security = [];
  }
  if (opts.admin) {
    o['x-vigil-role'] = 'admin';
  }
  return o;
}

/**
 * The OpenAPI 3.1 document of the HTTP API (GET /openapi.json). Written by hand next to the routes; a test checks
 * that every registered route is here and every path here is registered.
 */
export function openApiDocument(): object {
  return {
    openapi: '3.1.0',
    info: { title: 'Vigil API', version: VERSION, description: 'Real-time video surveillance analytics (see docs/api.md).' },
    security: [{ bearer: [] }],
    paths: {
      '/': { get: op('Operator dashboard (HTML)', { '200': { description: 'HTML page' } }, {}, { open: true }) },
      '/dashboard/{file}': {
        get: op('Dashboard static file', { '200': { description: 'file' }, '404': err }, { parameters: [{ name: 'file', in: 'path', required: true, schema: { type: 'string' } }] }, { open: true }),
      },
      '/healthz': { get: op('Liveness', { '200': json({ type: 'object', properties: { status: { const: 'ok' } } }) }, {}, { open: true }) },
      '/readyz': {
        get: op(
          'Readiness of this process (Redis and its stages). Open; with a valid token (or auth off) the answer adds the reasons and warnings',
          {
            '200': json({ type: 'object', required: ['status'], properties: { status: { const: 'ready' }, warnings: { type: 'array', items: { type: 'string' } } } }),
            '503': json({ type: 'object', required: ['status'], properties: { status: { const: 'not_ready' }, reasons: { type: 'array', items: { type: 'string' } }, warnings: { type: 'array', items: { type: 'string' } } } }, 'not ready'),
          },
          {},
          { open: true },
        ),
      },
      '/metrics': { get: op('Prometheus metrics', { '200': { description: 'text exposition format', content: { 'text/plain': {} } } }) },
      '/openapi.json': { get: op('This document', { '200': json({ type: 'object' }) }) },
      '/ws': { get: op('WebSocket endpoint (upgrade; token by header or ?token=)', { '101': { description: 'Switching protocols' }, '400': err }) },
      '/api/cameras': { get: op('Cameras and their health', { '200': json({ type: 'array', items: ref('CameraStatus') }) }) },
      '/api/cameras/{id}': {
        parameters: [idParam('camera id')],
        put: op('Create or replace a camera at run time (URL checked against the camera source policy: 400 source_refused)', { '200': json({ type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } }), '400': err, '413': err }, { requestBody: { required: true, content: { 'application/json': { schema: { type: 'object' } } } } }, { admin: true }),
        delete: op('Remove a camera at run time', { '204': { description: 'removed' }, '404': err }, {}, { admin: true }),
      },
      '/api/cameras/{id}/frame.jpg': { get: op('Latest frame of a camera with the latest detections drawn', { '200': jpeg, '404': err }, { parameters: [idParam('camera id')] }) },
      '/api/cameras/{id}/config': {
        get: op("The camera's zones, lines, detect settings, origin (config or api) and the rules that apply to it; never the URL", { '200': json({ type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, origin: { enum: ['config', 'api'] }, zones: { type: 'array', items: { type: 'object' } }, lines: { type: 'array', items: { type: 'object' } }, rules: { type: 'array', items: { type: 'object' } } } }), '404': err }, { parameters: [idParam('camera id')] }),
      },
      '/api/cameras/{id}/live.mjpeg': {
        get: op("The camera's plain frames at its detect rate as multipart MJPEG (slow readers skip frames)", { '200': { description: 'multipart/x-mixed-replace; boundary=vigilframe', content: { 'multipart/x-mixed-replace': { schema: { type: 'string', format: 'binary' } } } }, '404': err }, { parameters: [idParam('camera id')] }),
      },
      '/api/alerts': {
        get: op('Alerts, newest first', { '200': json({ type: 'object', properties: { alerts: { type: 'array', items: ref('Alert') } } }), '400': err }, {
          parameters: [
            { name: 'camera', in: 'query', schema: { type: 'string' } },
            { name: 'rule', in: 'query', schema: { type: 'string' } },
            { name: 'since', in: 'query', schema: { type: 'string' }, description: 'alert id, ISO time or epoch ms' },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
          ],
        }),
      },
      '/api/alerts/{id}': { get: op('One alert', { '200': json(ref('Alert')), '404': err }, { parameters: [idParam('alert id')] }) },
      '/api/alerts/{id}/events': { get: op("The alert's timeline: its start, update and end events in order", { '200': json({ type: 'object', properties: { events: { type: 'array', items: { type: 'object' } }, complete: { type: 'boolean' } } }), '404': err }, { parameters: [idParam('alert id')] }) },
      '/api/alerts/{id}/clip.mp4': {
        get: op(
          "The alert's video clip (MP4, from clip.pre seconds before its start to clip.post after its end), with range requests (206, 416). 404 no_recording: the alert has no clip; 404 clip_pending: not cut yet (Retry-After)",
          {
            '200': { description: 'MP4 video', content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } } } },
            '206': { description: 'the requested byte range (Content-Range)', content: { 'video/mp4': { schema: { type: 'string', format: 'binary' } } } },
            '404': err,
            '416': err,
          },
          { parameters: [idParam('alert id'), { name: 'Range', in: 'header', required: false, schema: { type: 'string' }, description: 'bytes=START-END, bytes=START- or bytes=-SUFFIX (one range)' }] },
        ),
      },
      '/api/alerts/{id}/snapshot.jpg': { get: op("The alert's snapshot with the objects' boxes", { '200': jpeg, '404': err }, { parameters: [idParam('alert id')] }) },
      '/api/alerts/{id}/ack': {
        post: op('Acknowledge or dismiss an alert', { '200': json(ref('Alert')), '400': err, '404': err }, {
          parameters: [idParam('alert id')],
          requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { action: { enum: ['acknowledged', 'dismissed'] }, note: { type: 'string', maxLength: 1000 } } } } } },
        }, { admin: true }),
      },
      '/api/webhooks': { get: op('Configured webhook endpoints with their state (enabled/disabled, pending deliveries, dead letters); no secrets, URL origin only', { '200': json({ type: 'object', properties: { webhooks: { type: 'array', items: { type: 'object' } } } }) }) },
      '/api/webhooks/{name}/enable': { post: op('Enable a webhook endpoint again; its kept deliveries are sent', { '200': json({ type: 'object', properties: { name: { type: 'string' }, status: { type: 'string' }, wasDisabled: { type: 'boolean' }, requeued: { type: 'integer' } } }), '404': err }, { parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'webhook name' }] }, { admin: true }) },
      '/api/webhooks/{name}/disable': { post: op('Disable a webhook endpoint; its deliveries are kept until it is enabled', { '200': json({ type: 'object', properties: { name: { type: 'string' }, status: { type: 'string' }, wasEnabled: { type: 'boolean' } } }), '404': err }, { parameters: [{ name: 'name', in: 'path', required: true, schema: { type: 'string' }, description: 'webhook name' }] }, { admin: true }) },
      '/api/webhooks/dead-letters': { get: op('Webhook deliveries that failed until their retry horizon, or were lost', { '200': json({ type: 'object', properties: { deadLetters: { type: 'array', items: { type: 'object' } } } }) }) },
      '/api/webhooks/dead-letters/{id}/replay': { post: op('Deliver a dead letter again (same delivery id)', { '202': json({ type: 'object' }), '404': err }, { parameters: [idParam('delivery id')] }, { admin: true }) },
      '/api/faces': {
        get: op('The face watchlist', { '200': json({ type: 'object' }) }),
        post: op('Add a face to the watchlist', { '201': json({ type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' } } }), '400': err, '413': err, '429': err }, { requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { name: { type: 'string' }, image: { type: 'string', contentEncoding: 'base64' } } } }, 'multipart/form-data': {} } } }, { admin: true }),
      },
      '/api/audit': {
        get: op('The audit trail, newest first: every change made through the API and every config reload', { '200': json({ type: 'object', properties: { entries: { type: 'array', items: ref('AuditEntry') } } }), '400': err }, {
          parameters: [
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
            { name: 'before', in: 'query', schema: { type: 'string' }, description: 'entry id: older entries only (paging)' },
          ],
        }, { admin: true }),
      },
      '/api/config/reload': {
        post: op('Reload the config file (as SIGHUP); refused when invalid or when it would change the listener, switch auth off beyond loopback or change Redis', { '200': json({ type: 'object', properties: { applied: { const: true } } }), '409': err, '503': err }, {}, { admin: true }),
      },
      '/api/faces/{id}': { delete: op('Remove an identity and its embeddings', { '204': { description: 'removed' }, '404': err }, { parameters: [idParam('identity id')] }, { admin: true }) },
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      responses: { Error: json({ type: 'object', properties: { error: { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] } } }, 'error') },
      schemas: {
        Object: { type: 'object', properties: { trackId: { type: 'integer' }, label: { type: 'string' }, score: { type: 'number' }, box: { type: 'array', items: { type: 'number' }, minItems: 4, maxItems: 4 } } },
        Alert: {
          type: 'object',
          required: ['id', 'rule', 'type', 'camera', 'severity', 'state', 'startedAt', 'updatedAt', 'objects', 'latencyMs'],
          properties: {
            id: { type: 'string' }, rule: { type: 'string' }, type: { type: 'string' }, camera: { type: 'string' },
            severity: { enum: ['info', 'low', 'medium', 'high', 'critical'] }, state: { enum: ['active', 'ended'] },
            startedAt: { type: 'string', format: 'date-time' }, updatedAt: { type: 'string', format: 'date-time' }, endedAt: { type: 'string', format: 'date-time' },
            objects: { type: 'array', items: ref('Object') }, count: { type: 'integer' }, direction: { enum: ['a_to_b', 'b_to_a'] },
            face: { type: 'object' }, snapshot: { type: 'string' }, clip: { type: 'string', description: '/api/alerts/ID/clip.mp4 once the clip is ready (the clip event)' }, latencyMs: { type: 'number' },
            ack: { type: 'object', properties: { action: { enum: ['acknowledged', 'dismissed'] }, by: { type: 'string' }, at: { type: 'string' }, note: { type: 'string' } } },
          },
        },
        AuditEntry: {
          type: 'object',
          required: ['id', 'at', 'actor', 'from', 'action', 'outcome'],
          properties: {
            id: { type: 'string' }, at: { type: 'string', format: 'date-time' }, actor: { type: 'string' }, role: { enum: ['viewer', 'admin'] },
            from: { type: 'string' }, action: { type: 'string' }, target: { type: 'string' }, outcome: { enum: ['ok', 'refused'] }, details: { type: 'object' },
          },
        },
        CameraStatus: {
          type: 'object',
          properties: {
            id: { type: 'string' }, name: { type: 'string' }, state: { enum: ['starting', 'streaming', 'stalled', 'reconnecting', 'failed'] }, reason: { type: 'string' },
            lastFrameAt: { type: ['string', 'null'] }, fps: { type: 'object', properties: { ingest: { type: 'number' }, detect: { type: 'number' } } }, dropped: { type: 'integer' },
            problems: { type: 'array', items: { type: 'string' }, description: 'what keeps the camera from being analysed, e.g. "detect: no detector loaded (…)"' },
            corrupt: { type: 'integer', description: 'corrupt or missing frames FFmpeg reported and went past' },
            transport: { enum: ['tcp', 'udp'], description: 'RTSP cameras: the RTP transport in use' },
            recording: { type: 'object', description: 'Recorded cameras: {state: on|failed, seconds held in the ring buffer, reason?}' },
          },
        },
      },
    },
  };
}
