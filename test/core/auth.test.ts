import assert from 'node:assert/strict';
import { allowed, authenticate, bearerToken } from '../../src/core/auth';
import { toHttpError } from '../../src/api/http-errors';
import { VigilError } from '../../src/core/errors';
import { z } from 'zod';

const tokens = [
  { name: 'soc', token: 'admin-token-0123456789', role: 'admin' as const },
  { name: 'tv', token: 'viewer-token-0123456789', role: 'viewer' as const },
];

describe('auth', () => {
  it('#bearerToken reads only the Bearer scheme', () => {
    assert.equal(bearerToken('Bearer abc'), 'abc');
    assert.equal(bearerToken('bearer  abc '), 'abc');
    assert.equal(bearerToken('Basic abc'), undefined);
    assert.equal(bearerToken('Bearer'), undefined);
    assert.equal(bearerToken(undefined), undefined);
  });
  it('#authenticate finds the token holder or nobody', () => {
    assert.deepEqual(authenticate(tokens, 'admin-token-0123456789'), { name: 'soc', role: 'admin' });
    assert.deepEqual(authenticate(tokens, 'viewer-token-0123456789'), { name: 'tv', role: 'viewer' });
    assert.equal(authenticate(tokens, 'viewer-token-012345678'), undefined);
    assert.equal(authenticate(tokens, undefined), undefined);
    assert.equal(authenticate(tokens, ''), undefined);
  });
  it('#authenticate lets everyone in as admin when no token is configured (loopback only)', () => {
    assert.equal(authenticate([], undefined)?.role, 'admin');
  });
  it('#allowed: viewers read, admins also write', () => {
    assert.ok(allowed({ name: 'a', role: 'viewer' }, 'viewer'));
    assert.ok(!allowed({ name: 'a', role: 'viewer' }, 'admin'));
    assert.ok(allowed({ name: 'a', role: 'admin' }, 'admin'));
  });
});

describe('toHttpError', () => {
  it('keeps a VigilError code and status', () => {
    assert.deepEqual(toHttpError(new VigilError('not_found', 'no such alert')), {
      status: 404,
      body: { error: { code: 'not_found', message: 'no such alert' } },
      internal: false,
    });
  });
  it('hides the details of unknown errors', () => {
    const a = toHttpError(new Error('connect ECONNREFUSED redis://:pw@10.0.0.1'));
    assert.equal(a.status, 500);
    assert.deepEqual(a.body, { error: { code: 'internal', message: 'internal error' } });
    assert.ok(a.internal);
  });
  it('lists zod problems as PATH: message', () => {
    const r = z.object({ detect: z.object({ fps: z.number().max(60, 'too fast') }) }).safeParse({ detect: { fps: 100 } });
    assert.ok(!r.success);
    assert.equal(toHttpError(r.error).body.error.message, 'detect.fps: too fast');
  });
  it('maps fastify client errors by status', () => {
    assert.equal(toHttpError(Object.assign(new Error('too big'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' })).body.error.code, 'payload_too_large');
    assert.equal(toHttpError(Object.assign(new Error('x'), { statusCode: 418, code: 'FST_X' })).status, 400);
  });
});
