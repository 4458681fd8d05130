import type { RuleConfig } from '../../config/schema';
import type { TrackView } from '../../core/types';
import { area } from '../../core/geometry';

/** Carried-item classes (COCO) watched by object_left. */
export const CARRIED_ITEMS: readonly string[] = ['backpack', 'handbag', 'suitcase'];

/** Whether a track passes the rule's label, score and size filters. */
export function passes(rule: RuleConfig, t: TrackView, defaultLabels: readonly string[] | undefined): boolean {
  const labels = rule.labels ?? defaultLabels;
  if (labels && labels.length > 0 && !labels.includes(t.label)) {
    return false;
  }
  if (t.score < rule.minScore) {
    return false;
  }
  const a = area(t.box);
  if (rule.minArea !== undefined && a < rule.minArea) {
    return false;
  }
  if (rule.maxArea !== undefined && a > rule.maxArea) {
    return false;
  }
  return true;
}
