/**
 * Typed, coded errors. Code branches on `code` or `instanceof`, never on message text. The HTTP layer turns a
 * VigilError into `{error: {code, message}}` with its `status`; any other error becomes a 500 whose details stay
 * in the log. docs/errors.md has one heading per code (a test keeps the two in step).
 */
export const ERROR_CODES = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  no_recording: 404,
  clip_pending: 404,
  request_timeout: 408,
  conflict: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  expectation_failed: 417,
  too_many_requests: 429,
  range_not_satisfiable: 416,
  headers_too_large: 431,
  source_refused: 400,
  no_face: 400,
  several_faces: 400,
  bad_image: 400,
  config_invalid: 500,
  model_invalid: 500,
  not_ready: 503,
  internal: 500,
} as const;
export type ErrorCode = keyof typeof ERROR_CODES;

export class VigilError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VigilError';
    this.code = code;
    this.status = ERROR_CODES[code];
  }
}

/** The configuration has problems; `problems` holds every one as `PATH: message`. */
export class ConfigError extends VigilError {
  constructor(readonly problems: string[]) {
    super('config_invalid', `invalid configuration:\n  ${problems.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

/** A model file is missing, not ONNX, or does not have the layout its family expects. */
export class ModelError extends VigilError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('model_invalid', message, options);
    this.name = 'ModelError';
  }
}

/** An image given to the API cannot be used. */
export class ImageError extends VigilError {
  constructor(code: 'bad_image' | 'no_face' | 'several_faces' | 'payload_too_large', message: string) {
    super(code, message);
    this.name = 'ImageError';
  }
}
