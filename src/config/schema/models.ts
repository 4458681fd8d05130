import { z } from 'zod';

export const DETECTOR_FAMILIES = ['yolox', 'fastestdet', 'detectnet_v2', 'yolov8'] as const;

export const detectorSchema = z.strictObject({
  /** Output decoder / preprocessing family. @defaultValue yolox */
  family: z.enum(DETECTOR_FAMILIES, { error: `must be one of ${DETECTOR_FAMILIES.join(', ')}` }).default('yolox'),
  /** File name inside models.dir (or an absolute path). @defaultValue yolox_nano.onnx */
  file: z.string().min(1).default('yolox_nano.onnx'),
  /** Execution provider: auto = CUDA when available, else CPU. @defaultValue auto */
  device: z.enum(['auto', 'cpu', 'cuda']).default('auto'),
  /** Label names, overriding the family's defaults (COCO for yolox/fastestdet/yolov8). */
  labels: z.array(z.string()).optional(),
  /** Keep only these labels. @defaultValue all */
  classes: z.array(z.string()).optional(),
  /** Minimum score, default for every class. @defaultValue 0.3 */
  scoreThreshold: z.number().min(0).max(1).default(0.3),
  /** Per-class score thresholds. */
  classThresholds: z.record(z.string(), z.number().min(0).max(1)).default({}),
  /** NMS IoU threshold. @defaultValue 0.45 */
  nmsIou: z.number().min(0).max(1).default(0.45),
  /** Input size [width, height] for models with a free input size (detectnet_v2, yolov8 exports). */
  inputSize: z.tuple([z.number().int().min(32), z.number().int().min(32)]).optional(),
});
export type DetectorConfig = z.infer<typeof detectorSchema>;

/** `models:` section. */
export const modelsSchema = z
  .strictObject({
    /** Where model files live (VIGIL_MODELS_DIR overrides). @defaultValue models */
    dir: z.string().default('models'),
    detector: detectorSchema.prefault({}),
  })
  .prefault({});
export type ModelsConfig = z.infer<typeof modelsSchema>;
