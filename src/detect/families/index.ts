/** Registry of detector families, keyed by the `models.detector.family` config value. */
import { ModelError } from '../../core/errors';
import { detectnetV2 } from './detectnet-v2';
import { fastestdet } from './fastestdet';
import type { DetectorFamily } from './family';
import { yolov8 } from './yolov8';
import { yolox } from './yolox';

export type { DetectorFamily, FamilyPlan, ModelIO, OutputTensor, TensorInfo, FamilyOptions, Dim } from './family';

/** Every known family by name. */
export const FAMILIES: ReadonlyMap<string, DetectorFamily> = new Map<string, DetectorFamily>([
  ['yolox', yolox],
  ['fastestdet', fastestdet],
  ['detectnet_v2', detectnetV2],
  ['yolov8', yolov8],
]);

/** The family named `name`, or a ModelError listing the valid ones. */
export function getFamily(name: string): DetectorFamily {
  const f = FAMILIES.get(name);
  if (!f) {
    throw new ModelError(`unknown detector family "${name}" (valid: ${[...FAMILIES.keys()].join(', ')})`);
  }
  return f;
}
