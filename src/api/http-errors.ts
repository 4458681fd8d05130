import { ZodError } from 'zod';
import { formatPath } from '../config/load';
import { VigilError, type ErrorCode } from '../core/errors';

/** The JSON body of every error answer, `{error:{code,message}}` (docs/errors.md). */
export interface ErrorBody {
  error: { code: ErrorCode; message: string };
}

/** How one error becomes an HTTP answer. `internal` answers keep their details for the log only. */
export interface HttpErrorAnswer {
  status: number;
  body: ErrorBody;
  /** True when the cause is unexpected and must be logged with its stack. */
  internal: boolean;
}

const STATUS_CODES: Record<number, ErrorCode> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  417: 'expectation_failed',
  429: 'too_many_requests',
  431: 'headers_too_large',
};

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 413: 'Payload Too Large', 431: 'Request Header Fields Too Large' };

/**
 * Pure: the raw HTTP answer to an error of Node's HTTP parser (before any route runs), in the documented JSON shape;
 * the connection is closed after it. `code` is the parser's error code (`HPE_INVALID_METHOD`, `HPE_HEADER_OVERFLOW`...).
 */
export function clientErrorResponse(code: string | undefined): string {
  let status = 400;
  let message = 'malformed HTTP request';
  if (code === 'HPE_HEADER_OVERFLOW') {
    status = 431;
    message = 'request line or headers too large';
  } else if (code === 'ERR_HTTP_REQUEST_TIMEOUT' || code === 'ERR_HTTP_HEADERS_TIMEOUT') {
    status = 408;
    message = 'request not received in time';
  } else if (code === 'HPE_CHUNK_EXTENSIONS_OVERFLOW') {
    status = 413;
    message = 'chunk extensions too large';
  } else if (code === 'HPE_INVALID_METHOD') {
    message = 'unknown HTTP method';
  } else if (code === 'HPE_INVALID_URL') {
    message = 'invalid characters in the request target';
  } else if (code === 'HPE_INVALID_CONTENT_LENGTH' || code === 'HPE_UNEXPECTED_CONTENT_LENGTH') {
    message = 'invalid Content-Length';
  } else if (code === 'HPE_INVALID_TRANSFER_ENCODING') {
    message = 'invalid Transfer-Encoding';
  } else if (typeof code === 'string' && /^HPE_INVALID_HEADER_TOKEN|^HPE_INVALID_CONSTANT|^HPE_LF_EXPECTED|^HPE_CR_EXPECTED/.test(code)) {
    message = 'malformed request line or header';
  }
  const body = JSON.stringify({ error: { code: STATUS_CODES[status], message } });
  return `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`;
}

/** Pure: `PATH: message` for each zod issue, as `vigil config check` prints them. */
export function zodProblems(err: ZodError): string[] {
  return err.issues.map((i) => `${formatPath(i.path)}: ${i.message}`);
}

/**
 * Pure: maps any thrown value to the answer. VigilError keeps its code; zod problems are `bad_request` listed by
 * path; fastify's own client errors (bad JSON, body too large, wrong content type) keep their 4xx status; anything
 * else is a 500 that says nothing about its cause.
 */
export function toHttpError(err: unknown): HttpErrorAnswer {
  if (err instanceof VigilError) {
    const internal = err.status >= 500;
    return {
      status: err.status,
      body: { error: { code: err.code, message: internal ? 'internal error' : err.message } },
      internal,
    };
  }
  if (err instanceof ZodError) {
    return { status: 400, body: { error: { code: 'bad_request', message: zodProblems(err).join('; ') } }, internal: false };
  }
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown; validation?: unknown } | null;
  const status = typeof e?.statusCode === 'number' ? e.statusCode : 0;
  const fromFastify = typeof e?.code === 'string' && e.code.startsWith('FST_');
  if (status >= 400 && status < 500 && (fromFastify || e?.validation !== undefined || err instanceof SyntaxError)) {
    const code = STATUS_CODES[status] ?? 'bad_request';
    const message = typeof e?.message === 'string' ? e.message.slice(0, 500) : code;
    return { status: STATUS_CODES[status] ? status : 400, body: { error: { code, message } }, internal: false };
  }
  return { status: 500, body: { error: { code: 'internal', message: 'internal error' } }, internal: true };
}
