import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type Redis from 'ioredis';
import { z } from 'zod';
import type { Context } from '../../config/context';
import { ImageError, VigilError } from '../../core/errors';
import type { Box } from '../../core/types';
import { embedEnrolmentImages } from '../../faces/enrol';
import { loadFaceModels, sharedFaceModels } from '../../faces/models';
import type { FaceModels } from '../../faces/pipeline';
import { WatchlistStore } from '../../faces/watchlist';

/** Most images in one enrolment request. */
const MAX_IMAGES = 10;
/** Full-size images one JSON body may carry (its size limit, never above server.bodyLimitBytes). */
const JSON_IMAGES = 4;
/** Largest multipart text field (name, id, box), bytes. */
const FIELD_SIZE = 1024;

const boxSchema = z
  .tuple([z.number().min(0).max(1), z.number().min(0).max(1), z.number().min(0).max(1), z.number().min(0).max(1)])
  .refine((b) => b[2] > b[0] && b[3] > b[1], 'box must be [x1, y1, x2, y2] with x2 > x1 and y2 > y1');

const MAX_JSON_NAME = 100;
const jsonBody = z
  .strictObject({
    name: z.string().trim().min(1).max(MAX_JSON_NAME).optional(),
    id: z.string().min(1).max(100).optional(),
    image: z.string().min(1).optional(),
    images: z.array(z.string().min(1)).min(1).max(MAX_IMAGES).optional(),
    box: boxSchema.optional(),
  })
  .refine((b) => (b.image === undefined) !== (b.images === undefined), 'give either "image" or "images"')
  .refine((b) => b.name !== undefined || b.id !== undefined, '"name" is required for a new identity');

interface Enrolment {
  name?: string;
  id?: string;
  box?: Box;
  images: Buffer[];
}

/** Decodes a base64 (or data: URL) image, checking the size before decoding. */
function fromBase64(s: string, maxBytes: number): Buffer {
  const body = s.startsWith('data:') ? s.slice(s.indexOf(',') + 1) : s;
  if (Math.floor((body.length * 3) / 4) > maxBytes + 3) {
    throw new ImageError('payload_too_large', `image is larger than ${maxBytes} bytes`);
  }
  if (!/^[A-Za-z0-9+/=_\-\s]*$/.test(body)) {
    throw new ImageError('bad_image', 'image is not valid base64');
  }
  return Buffer.from(body, 'base64');
}

/** Names are at most this long, in JSON and in multipart alike. */
const MAX_NAME = 100;

async function readMultipart(req: FastifyRequest, maxBytes: number): Promise<Enrolment> {
  const images: Buffer[] = [];
  const fields: Record<string, string> = {};
  try {
    for await (const part of req.parts()) {
      if (part.type === 'file') {
        if (images.length >= MAX_IMAGES) {
          throw new VigilError('bad_request', `at most ${MAX_IMAGES} images per request`);
        }
        let buf: Buffer;
        try {
          buf = await part.toBuffer();
        } catch (err) {
          if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
            throw new ImageError('payload_too_large', `image is larger than ${maxBytes} bytes`);
          }
          throw err;
        }
        images.push(buf);
      } else {
        if (part.valueTruncated || part.fieldnameTruncated) {
          throw new VigilError('bad_request', `${part.fieldname.slice(0, 40)}: field too long (at most ${FIELD_SIZE} bytes)`);
        }
        if (!['name', 'id', 'box'].includes(part.fieldname)) {
          throw new VigilError('bad_request', `${part.fieldname.slice(0, 40)}: unknown field (name, id, box and image files)`);
        }
        fields[part.fieldname] = String(part.value);
      }
    }
  } catch (err) {
    if (err instanceof VigilError || (typeof (err as { statusCode?: unknown }).statusCode === 'number' && (err as { statusCode: number }).statusCode < 500)) {
      throw err;
    }
    // busboy's own errors (no boundary, no closing boundary, malformed part headers) are the client's.
    throw new VigilError('bad_request', `malformed multipart body: ${String((err as Error).message ?? err).slice(0, 120)}`);
  }
  let box: Box | undefined;
  if (fields.box !== undefined) {
    let raw: unknown;
    try {
      raw = fields.box.trim().startsWith('[') ? (JSON.parse(fields.box) as unknown) : fields.box.split(',').map((x) => (/^\s*-?\d+(\.\d+)?\s*$/.test(x) ? Number(x) : NaN));
    } catch {
      throw new VigilError('bad_request', 'box: must be [x1, y1, x2, y2] in fractions of the image (JSON or comma-separated)');
    }
    box = boxSchema.parse(raw) as Box;
  }
  const name = fields.name?.trim() || undefined;
  if (name !== undefined && name.length > MAX_NAME) {
    throw new VigilError('bad_request', `name: must be at most ${MAX_NAME} characters`);
  }
  if (fields.id !== undefined && (fields.id.length === 0 || fields.id.length > 100)) {
    throw new VigilError('bad_request', 'id: must be 1 to 100 characters');
  }
  if (images.length === 0) {
    throw new VigilError('bad_request', 'no image file in the multipart body');
  }
  if (name === undefined && fields.id === undefined) {
    throw new VigilError('bad_request', '"name" is required for a new identity');
  }
  return { ...(name ? { name } : {}), ...(fields.id ? { id: fields.id } : {}), ...(box ? { box } : {}), images };
}

/** Image problems are answered 400 with their code (docs/errors.md), whatever the code's default status. */
function sendImageError(reply: FastifyReply, err: ImageError): FastifyReply {
  return reply.code(400).send({ error: { code: err.code, message: err.message } });
}

/**
 * Watchlist routes: POST /api/faces (admin), GET /api/faces, DELETE /api/faces/:id (admin).
 * Registered by the API server; authentication is done by the server's global hook, and admin routes declare
 * `config: { role: 'admin' }`. Enrolment loads the face models on first use (shared with the detect stage).
 */
export async function facesRoutes(app: FastifyInstance, ctx: Context): Promise<void> {
  let redis: Redis | undefined;
  const store = (): WatchlistStore => new WatchlistStore((redis ??= ctx.redis('faces-api')), ctx.keys);
  const log = ctx.log.child({ stage: 'faces' });
  const models = async (): Promise<FaceModels> => {
    try {
      return await sharedFaceModels(ctx, () => loadFaceModels(ctx.config.models.dir, ctx.config.faces, log));
    } catch (err) {
      log.error({ err }, 'face models unavailable');
      throw new VigilError('not_ready', 'the face models are not available on this server (see its log)');
    }
  };

  // Decoding and embedding take memory (a 6000x6000 image is 100+ MB while decoded): bounded per process.
  let running = 0;
  const release = (req: FastifyRequest) => {
    if ((req as { enrolSlot?: boolean }).enrolSlot) {
      (req as { enrolSlot?: boolean }).enrolSlot = false;
      running--;
    }
  };

  await app.register(async (scope) => {
    const maxBytes = (): number => ctx.config.faces.maxImageBytes;
    await scope.register(multipart, {
      limits: { fileSize: maxBytes(), files: MAX_IMAGES, fields: 10, fieldSize: FIELD_SIZE, parts: MAX_IMAGES + 10, headerPairs: 100 },
    });

    scope.post(
      '/api/faces',
      {
        config: { role: 'admin' },
        // JSON carries base64 (4/3 of the bytes): room for a few full-size images, never above the server's limit.
        bodyLimit: Math.min(ctx.config.server.bodyLimitBytes, Math.ceil(maxBytes() * 1.4) * JSON_IMAGES + 64 * 1024),
        // The slot is taken before the body is read or parsed, and given back whatever happens to the request.
        onRequest: async (req, reply) => {
          if (running >= ctx.config.faces.maxConcurrentEnrolments) {
            return reply
              .code(429)
              .header('retry-after', '1')
              .send({ error: { code: 'too_many_requests', message: `at most ${ctx.config.faces.maxConcurrentEnrolments} enrolments at once; retry` } });
          }
          running++;
          (req as { enrolSlot?: boolean }).enrolSlot = true;
        },
        onResponse: async (req) => release(req),
        onRequestAbort: async (req) => release(req),
      },
      async (req, reply) => {
        let enrol: Enrolment;
        try {
          if (req.isMultipart()) {
            enrol = await readMultipart(req, maxBytes());
          } else {
            const b = jsonBody.parse(req.body ?? {});
            const raw = b.images ?? [b.image!];
            enrol = {
              ...(b.name ? { name: b.name } : {}),
              ...(b.id ? { id: b.id } : {}),
              ...(b.box ? { box: b.box as Box } : {}),
              images: raw.map((s) => fromBase64(s, maxBytes())),
            };
          }
          if (enrol.id !== undefined && !(await store().get(enrol.id))) {
            throw new VigilError('not_found', `no watchlist identity "${enrol.id}"`);
          }
          const f = ctx.config.faces;
          const embeddings = await embedEnrolmentImages(await models(), enrol.images, {
            maxBytes: maxBytes(),
            minFaceSize: f.minFaceSize,
            minScore: f.minScore,
            ...(enrol.box ? { box: enrol.box } : {}),
          });
          const identity = await store().add(enrol.name, embeddings, enrol.id);
          req.auditDetails = { target: identity.id, name: identity.name, images: enrol.images.length };
          return reply.code(enrol.id ? 200 : 201).send({ id: identity.id, name: identity.name, images: identity.embeddings.length });
        } catch (err) {
          if (req.isMultipart()) {
            // A multipart body refused half-way is not read to its end: close the connection after the answer, or
            // its unread bytes would be taken for the next request on this keep-alive connection (which would hang).
            void reply.header('connection', 'close');
          }
          if (err instanceof ImageError) {
            return sendImageError(reply, err);
          }
          throw err;
        }
      },
    );

    scope.get('/api/faces', async () => {
      const all = await store().all();
      return {
        faces: all.map((i) => ({ id: i.id, name: i.name, images: i.embeddings.length, createdAt: i.createdAt })),
      };
    });

    scope.delete<{ Params: { id: string } }>('/api/faces/:id', { config: { role: 'admin' }, bodyLimit: 1024 }, async (req, reply) => {
      if (req.params.id.length > 100 || !(await store().remove(req.params.id))) {
        throw new VigilError('not_found', `no watchlist identity "${req.params.id}"`);
      }
      return reply.code(204).send();
    });
  });
}
