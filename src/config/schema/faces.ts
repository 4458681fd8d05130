import { z } from 'zod';

/** `faces:` section: face detection, embeddings and the watchlist. */
export const facesSchema = z
  .strictObject({
    /**
     * Face detector: ssd_mobilenetv1 or tiny_face_detector (both built from face-api's weights) or ultraface (the
     * UltraFace file, fetched); speed and accuracy of each in BENCHMARKS.md. @defaultValue ssd_mobilenetv1
     */
    detector: z.enum(['ssd_mobilenetv1', 'tiny_face_detector', 'ultraface']).default('ssd_mobilenetv1'),
    /** UltraFace file when detector is ultraface. @defaultValue ultraface-rfb-320.onnx */
    ultrafaceFile: z.string().default('ultraface-rfb-320.onnx'),
    /** Search the whole frame instead of only the person boxes' head regions. @defaultValue false */
    wholeFrame: z.boolean().default(false),
    /** Smallest face side, pixels of the detect frame. @defaultValue 24 */
    minFaceSize: z.number().int().min(8).max(1000).default(24),
    /** Minimum face detector score (0.5 suits ssd_mobilenetv1; use 0.7 with ultraface). @defaultValue 0.5 */
    minScore: z.number().min(0).max(1).default(0.5),
    /** Euclidean distance under which a face matches a watchlist identity. @defaultValue 0.6 */
    threshold: z.number().min(0).max(2).default(0.6),
    /** Frames a track must agree on before a match is declared. @defaultValue 2 */
    votes: z.number().int().min(1).max(50).default(2),
    /** Store unknown faces' embeddings (privacy: off). @defaultValue false */
    storeUnknown: z.boolean().default(false),
    /** TTL of stored unknown embeddings. @defaultValue 86400 */
    unknownTtlSeconds: z.number().int().min(60).max(30 * 86_400).default(86_400),
    /** Largest enrolment image, bytes. @defaultValue 5 MiB */
    maxImageBytes: z.number().int().min(1024).max(50 * 1024 * 1024).default(5 * 1024 * 1024),
    /** POST /api/faces requests decoding and embedding at once in this process; more get 429 (an image may take 100+ MB while decoded). @defaultValue 2 */
    maxConcurrentEnrolments: z.number().int().min(1).max(64).default(2),
  })
  .prefault({});
export type FacesConfig = z.infer<typeof facesSchema>;
