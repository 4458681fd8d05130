import { z } from 'zod';
import { id } from './common';
import { ruleClipSchema } from './recording';
import { RULE_TYPES, SEVERITIES } from '../../core/types';

/** Whether Intl knows the IANA time zone `tz`. */
function validTimeZone(tz: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}

export const scheduleSchema = z.strictObject({
  /** IANA time zone. @defaultValue UTC */
  timezone: z
    .string()
    .refine(validTimeZone, 'must be an IANA time zone such as Europe/Paris or UTC')
    .default('UTC'),
  /** Active windows, "HH:MM-HH:MM" (may cross midnight), optional days (0=Sunday). */
  windows: z
    .array(
      z.strictObject({
        from: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM'),
        to: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be HH:MM'),
        days: z.array(z.number().int().min(0).max(6)).optional(),
      }),
    )
    .min(1),
});

export const ruleSchema = z
  .strictObject({
    id,
    type: z.enum(RULE_TYPES, { error: `must be one of ${RULE_TYPES.join(', ')}` }),
    /** Camera id, or omitted for every camera. */
    camera: id.optional(),
    zone: id.optional(),
    line: id.optional(),
    /** line_cross direction. @defaultValue any */
    direction: z.enum(['a_to_b', 'b_to_a', 'any']).default('any'),
    /** Object labels the rule applies to. @defaultValue person (carried items for object_left) */
    labels: z.array(z.string()).optional(),
    /** Minimum detection score. @defaultValue 0 */
    minScore: z.number().min(0).max(1).default(0),
    /** Minimum / maximum box area as a fraction of the frame. */
    minArea: z.number().min(0).max(1).optional(),
    maxArea: z.number().min(0).max(1).optional(),
    /** loiter/object_left/crowd: seconds the condition must hold. */
    seconds: z.number().min(0).max(86_400).optional(),
    /** crowd: at least this many objects. */
    count: z.number().int().min(1).max(10_000).optional(),
    /** object_left: no person within this distance (frame fractions). @defaultValue 0.1 */
    radius: z.number().min(0).max(2).optional(),
    /** speed: threshold in frame fractions per second. */
    speed: z.number().min(0).max(100).optional(),
    /** face_match: only these watchlist identities (ids or names); omitted = any. */
    identities: z.array(z.string()).optional(),
    /**
     * face_match: this rule's own match threshold (euclidean distance), stricter than `faces.threshold`, so a rule
     * over a set of `identities` acts as a watchlist with its own threshold. @defaultValue faces.threshold
     */
    maxDistance: z.number().min(0).max(2).optional(),
    /** Seconds after an alert of this rule (per object/zone) before the next may start. @defaultValue 0 */
    cooldown: z.number().min(0).max(86_400).default(0),
    severity: z.enum(SEVERITIES).default('medium'),
    schedule: scheduleSchema.optional(),
    /** @defaultValue true */
    enabled: z.boolean().default(true),
    /** The alert's video clip: `pre` seconds before the alert started to `post` seconds after it ended (with recording on). */
    clip: ruleClipSchema,
  })
  .superRefine((r, ctx) => {
    const need = (field: keyof typeof r, types: string[]) => {
      if (types.includes(r.type) && r[field] === undefined) {
        ctx.addIssue({ code: 'custom', path: [field], message: `is required for ${r.type} rules` });
      }
    };
    need('zone', ['zone_enter', 'zone_exit', 'loiter', 'crowd']);
    need('line', ['line_cross']);
    need('seconds', ['loiter', 'object_left']);
    need('count', ['crowd']);
    need('speed', ['speed']);
    if (r.minArea !== undefined && r.maxArea !== undefined && r.minArea > r.maxArea) {
      ctx.addIssue({ code: 'custom', path: ['minArea'], message: `must not be larger than maxArea (${r.maxArea}): the rule could never match` });
    }
  });
export type RuleConfig = z.infer<typeof ruleSchema>;
export const rulesSchema = z.array(ruleSchema).default([]);
