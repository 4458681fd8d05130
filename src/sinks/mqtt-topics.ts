/**
 * MQTT topic names and Home Assistant discovery payloads (pure). Topics, under `mqtt.topicPrefix` (`vigil`):
 *
 * | topic | retained | payload |
 * |---|---|---|
 * | `vigil/available` | yes | `online` / `offline` (the Last Will: `offline` when the connection drops) |
 * | `vigil/<camera>/state` | yes | `{camera, state, reason, at}`; state `offline` once Vigil stopped publishing |
 * | `vigil/<camera>/alerts` | no | every alert event `{type: "alert", event, id, alert}` (updates coalesced) |
 * | `vigil/<camera>/fps` | yes | `{ingest, detect}` |
 * | `vigil/<camera>/count` | yes | alerts started on the camera (all rules) |
 * | `vigil/<camera>/rules/<rule>/state` | yes | `ON` while an alert of the rule is active on the camera, else `OFF` |
 * | `vigil/<camera>/rules/<rule>/count` | yes | alerts of the rule started on the camera |
 * | `vigil/<camera>/rules/<rule>/crossings` | yes | line_cross rules: `{total, a_to_b, b_to_a}` |
 */
import type { RuleConfig } from '../config/schema';

/** Every topic of a camera under `prefix`. */
export function mqttTopics(prefix: string, camera: string) {
  return {
    alerts: `${prefix}/${camera}/alerts`,
    state: `${prefix}/${camera}/state`,
    fps: `${prefix}/${camera}/fps`,
    count: `${prefix}/${camera}/count`,
    ruleState: (rule: string) => `${prefix}/${camera}/rules/${rule}/state`,
    ruleCount: (rule: string) => `${prefix}/${camera}/rules/${rule}/count`,
    crossings: (rule: string) => `${prefix}/${camera}/rules/${rule}/crossings`,
  };
}

/** The availability topic. */
export function availabilityTopic(prefix: string): string {
  return `${prefix}/available`;
}

/** Rules that apply to a camera (no camera = every camera). */
export function rulesOf(rules: readonly RuleConfig[], camera: string): RuleConfig[] {
  return rules.filter((r) => r.camera === undefined || r.camera === camera);
}

/** One retained discovery message (an empty payload removes the entity). */
export interface DiscoveryMessage {
  topic: string;
  payload: string;
}

/** Home Assistant binary sensor device classes by rule type (others: none). */
const DEVICE_CLASS: Partial<Record<RuleConfig['type'], string>> = {
  zone_enter: 'occupancy',
  zone_exit: 'motion',
  loiter: 'occupancy',
  crowd: 'occupancy',
  line_cross: 'motion',
  object_left: 'problem',
  camera_down: 'problem',
  speed: 'motion',
  face_match: 'occupancy',
  face_unknown: 'occupancy',
};

/**
 * Pure: the Home Assistant discovery messages for the cameras and rules (one device per camera): a binary sensor
 * per rule that applies to the camera (its zone or line in the name), a sensor per line_cross rule for the line
 * count, sensors for the camera's ingest and detect fps and its state. Every entity is unavailable while
 * `<prefix>/available` says `offline`.
 */
export function discoveryMessages(
  discoveryPrefix: string,
  prefix: string,
  cameras: ReadonlyArray<{ id: string; name?: string }>,
  rules: readonly RuleConfig[],
): DiscoveryMessage[] {
  const out: DiscoveryMessage[] = [];
  const availability = availabilityTopic(prefix);
  const node = prefix.replace(/[^A-Za-z0-9_-]/g, '_');
  for (const cam of cameras) {
    const t = mqttTopics(prefix, cam.id);
    const device = { identifiers: [`${node}_${cam.id}`], name: cam.name ?? cam.id, manufacturer: 'Vigil', model: 'camera analytics' };
    const base = (uid: string, name: string) => ({
      name,
      unique_id: `${node}_${cam.id}_${uid}`,
      object_id: `${node}_${cam.id}_${uid}`,
      availability_topic: availability,
      payload_available: 'online',
      payload_not_available: 'offline',
      device,
    });
    const add = (component: 'binary_sensor' | 'sensor', uid: string, config: object) =>
      out.push({ topic: `${discoveryPrefix}/${component}/${node}_${cam.id}/${uid}/config`, payload: JSON.stringify(config) });
    for (const r of rulesOf(rules, cam.id)) {
      const where = r.zone ? ` (zone ${r.zone})` : r.line ? ` (line ${r.line})` : '';
      add('binary_sensor', `rule_${r.id}`, {
        ...base(`rule_${r.id}`, `${r.id}${where}`),
        state_topic: t.ruleState(r.id),
        payload_on: 'ON',
        payload_off: 'OFF',
        ...(DEVICE_CLASS[r.type] ? { device_class: DEVICE_CLASS[r.type] } : {}),
      });
      if (r.type === 'line_cross') {
        add('sensor', `line_${r.id}`, {
          ...base(`line_${r.id}`, `${r.id} count${where}`),
          state_topic: t.crossings(r.id),
          value_template: '{{ value_json.total }}',
          json_attributes_topic: t.crossings(r.id),
          state_class: 'total_increasing',
          icon: 'mdi:counter',
        });
      }
    }
    for (const kind of ['ingest', 'detect'] as const) {
      add('sensor', `fps_${kind}`, {
        ...base(`fps_${kind}`, `${kind} fps`),
        state_topic: t.fps,
        value_template: `{{ value_json.${kind} }}`,
        unit_of_measurement: 'fps',
        state_class: 'measurement',
        icon: 'mdi:speedometer',
      });
    }
    add('sensor', 'state', { ...base('state', 'state'), state_topic: t.state, value_template: '{{ value_json.state }}', json_attributes_topic: t.state, icon: 'mdi:cctv' });
  }
  return out;
}
