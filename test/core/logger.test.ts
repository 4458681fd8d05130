import assert from 'node:assert/strict';
import { captureLogger } from '../../src/core/logger';
import { registerSecret } from '../../src/core/redact';

describe('logger: errors', () => {
  it('logs an Error passed as err with its type, message, code, stack and cause, credentials redacted', () => {
    registerSecret('hunter2-logger-secret');
    const { log, lines } = captureLogger();
    const cause = Object.assign(new Error('connect ECONNREFUSED 10.0.0.9:554'), { code: 'ECONNREFUSED' });
    const err = Object.assign(new TypeError('cannot open rtsp://admin:pw1234@cam.local/stream (token hunter2-logger-secret)', { cause }), { code: 'E_OPEN' });
    log.child({ stage: 'ingest' }).error({ err, camera: 'door' }, 'camera failed');
    log.error({ error: err }, 'under another key');
    log.error(err, 'the error itself');
    assert.equal(lines.length, 3);
    for (const line of lines) {
      assert.doesNotMatch(line, /pw1234|hunter2-logger-secret|admin:/);
    }
    const first = JSON.parse(lines[0]) as { err: Record<string, unknown>; camera: string; stage: string };
    assert.equal(first.camera, 'door');
    assert.equal(first.stage, 'ingest');
    assert.equal(first.err.type, 'TypeError');
    assert.equal(first.err.code, 'E_OPEN');
    assert.match(String(first.err.message), /^cannot open rtsp:\/\/\*\*\*@cam\.local\/stream \(token \*\*\*\)$/);
    assert.match(String(first.err.stack), /^TypeError: cannot open[\s\S]*at /);
    assert.deepEqual((first.err.cause as Record<string, unknown>).code, 'ECONNREFUSED');
    assert.match(String((first.err.cause as Record<string, unknown>).message), /ECONNREFUSED/);
    const second = JSON.parse(lines[1]) as { error: Record<string, unknown> };
    assert.equal(second.error.type, 'TypeError');
    assert.equal(second.error.code, 'E_OPEN');
    const third = JSON.parse(lines[2]) as { err: Record<string, unknown>; msg: string };
    assert.equal(third.msg, 'the error itself');
    assert.equal(third.err.code, 'E_OPEN');
    assert.match(String(third.err.stack), /TypeError/);
  });

  it('serializes an Error bound to a child logger too', () => {
    const { log, lines } = captureLogger();
    log.child({ err: Object.assign(new Error('bound rtsp://u:secretpw@h/x'), { code: 'E_BOUND' }) }).warn('with a bound error');
    const line = JSON.parse(lines[0]) as { err: Record<string, unknown> };
    assert.equal(line.err.code, 'E_BOUND');
    assert.equal(line.err.message, 'bound rtsp://***@h/x');
    assert.ok(String(line.err.stack).length > 0);
  });
});
