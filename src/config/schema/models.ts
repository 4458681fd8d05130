import { z } from 'zod';

export const DETECTOR_FAMILIES = ['yolox', 'fastestdet', 'detectnet_v2', 'yolov8'] as const;

/** Clustering algorithms (DeepStream nvinfer `cluster-mode` 2, 1 and 3). */
export const CLUSTER_MODES = ['nms', 'dbscan', 'dbscan+nms'] as const;

const epsSchema = z
  .number({ error: 'must be a number between 0 and 1' })
  .min(0, 'must be a number between 0 and 1')
  .max(1, 'must be a number between 0 and 1');
const minBoxesSchema = z
  .number({ error: 'must be a whole number between 0 and 1000' })
  .int('must be a whole number between 0 and 1000')
  .min(0, 'must be a whole number between 0 and 1000')
  .max(1000, 'must be a whole number between 0 and 1000');
const minScoreSchema = z.number({ error: 'must be a number ≥ 0' }).min(0, 'must be a number ≥ 0');

/**
 * `models.detector.cluster`: how candidate boxes become detections, for every family. See docs/models.md
 * ("Clustering DetectNet_v2 candidates") for what DeepStream does and where the defaults come from.
 */
export const clusterSchema = z
  .strictObject({
    /** nms: class-wise NMS with nmsIou (DeepStream cluster-mode=2). dbscan: DeepStream's DBSCAN, each cluster of
     * overlapping boxes merged into one (cluster-mode=1). dbscan+nms: DBSCAN drops outlier boxes, then NMS
     * (cluster-mode=3). TAO DetectNet_v2 models (PeopleNet, TrafficCamNet, DashCamNet) are usually run with dbscan
     * (TAO's own spec files cluster with DBSCAN); DeepStream's current sample configs use nms. @defaultValue nms */
    mode: z.enum(CLUSTER_MODES, { error: `must be one of ${CLUSTER_MODES.join(', ')}` }).default('nms'),
    /** DBSCAN: two boxes of a class are neighbours when 1 - IoU < eps (DeepStream eps; NVIDIA's DBSCAN sample
     * configs use 0.7). @defaultValue 0.7 */
    eps: epsSchema.default(0.7),
    /** DBSCAN: a box with at least minBoxes - 1 neighbours starts a cluster (DeepStream minBoxes; NVIDIA's DBSCAN
     * sample configs use 3); 0 = no clustering, every candidate of the class is kept. @defaultValue 3 */
    minBoxes: minBoxesSchema.default(3),
    /** DBSCAN: clusters whose summed member scores are below this are dropped (DeepStream dbscan-min-score).
     * @defaultValue 0 */
    minScore: minScoreSchema.default(0),
    /** Per-label overrides of eps, minBoxes and minScore, e.g. {bag: {minBoxes: 1}} (DeepStream [class-attrs-N]);
     * labels the model does not have are ignored. */
    perClass: z
      .record(z.string(), z.strictObject({ eps: epsSchema.optional(), minBoxes: minBoxesSchema.optional(), minScore: minScoreSchema.optional() }))
      .default({}),
  })
  .prefault({});
export type ClusterConfig = z.infer<typeof clusterSchema>;

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
  /** NMS IoU threshold (cluster modes nms and dbscan+nms). @defaultValue 0.45 */
  nmsIou: z.number().min(0).max(1).default(0.45),
  /** Clustering of candidate boxes into detections: NMS, or DeepStream's DBSCAN (detectnet_v2). */
  cluster: clusterSchema,
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
