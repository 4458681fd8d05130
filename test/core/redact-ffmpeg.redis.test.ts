import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import Redis from 'ioredis';
import { parseConfig } from '../../src/config/load';
import { Context } from '../../src/config/context';
import { captureLogger } from '../../src/core/logger';
import { redact, redactUrl } from '../../src/core/redact';
import { startIngest } from '../../src/ingest';
import { purgePrefix, REDIS_URL, waitFor } from '../helpers';

/** User and password holding `@ : / space %` (the ones a URL needs escaped are percent-encoded, as FFmpeg needs). */
const USER = 'o@p s%3A%2Fx';
const PASS = 'S3cret@Pa ss:w%2Fo%25rd';
const URL = `rtsp://${USER}:${PASS}@127.0.0.1:1/nothing`;
/** Fragments that must never be logged (raw and decoded). */
const FRAGMENTS = ['S3cret', 'Pa ss', 'w%2Fo', 'w/o', 'o%25rd', 'o%rd', 'o@p s', 'p s%3A'];

describe('credentials never logged (issue 14, item 3) @integration', function () {
  this.timeout(30_000);

  it('"camera starting", the FFmpeg debug command line and its stderr carry no part of the user or password', async () => {
    const prefix = `vigil-test-${randomBytes(4).toString('hex')}`;
    const config = parseConfig(JSON.stringify({ redis: { url: REDIS_URL, prefix }, cameras: [{ id: 'secret', url: URL, detect: { fps: 1, width: 160 } }] }), { VIGIL_NO_DEMO: '1' });
    const { log, lines } = captureLogger('debug');
    const ctx = new Context(config, log, new Set(['ingest']), { defaultMetrics: false });
    const ingest = await startIngest(ctx, { restart: { baseMs: 200, capMs: 400 }, killGraceMs: 500 });
    const admin = new Redis(REDIS_URL);
    try {
      await waitFor(() => lines.some((l) => /ffmpeg exited|camera state/.test(l) && /reconnecting/.test(l)) && lines.some((l) => l.includes('"stderr"')), 15_000, 'ffmpeg to fail and be logged');
      const all = lines.join("\n");
      assert.match(all, /"camera starting"/);
      assert.match(all, /"ffmpeg started"/);
      assert.match(all, /-protocol_whitelist rtsp,rtp,srtp,tcp,udp/, 'the debug command line is logged');
      assert.match(all, /127\.0\.0\.1:1/, 'the host is still shown');
      for (const f of FRAGMENTS) {
        assert.ok(!all.includes(f), `"${f}" leaked:\n${lines.filter((l) => l.includes(f)).join('\n')}`);
      }
      const status = JSON.stringify(await admin.hgetall(ctx.keys.cameraStatus('secret')));
      for (const f of FRAGMENTS) {
        assert.ok(!status.includes(f), `"${f}" in the status hash: ${status}`);
      }
    } finally {
      await ingest.close();
      await ctx.closeConnections();
      await purgePrefix(admin, prefix);
      admin.disconnect();
    }
  });

  it('a registered URL is redacted in any text, whatever its characters; an unknown one by its shape', () => {
    parseConfig(JSON.stringify({ cameras: [{ id: 'a', url: URL }] }), { VIGIL_NO_DEMO: '1' });
    const texts = [
      `Input #0, rtsp, from '${URL}':`,
      `${URL}: Connection refused`,
      `ffmpeg -i ${URL} -f rawvideo pipe:1`,
      `auth ${decodeURIComponent(PASS)} rejected`,
      JSON.stringify({ url: URL }),
    ];
    for (const t of texts) {
      const out = redact(t);
      for (const f of FRAGMENTS) {
        assert.ok(!out.includes(f), `${t} -> ${out}`);
      }
    }
    assert.equal(redactUrl(URL), 'rtsp://***@127.0.0.1:1/nothing');
    // Tokens, webhook secrets and MQTT passwords are registered the same way.
    parseConfig(
      JSON.stringify({
        server: { tokens: [{ name: 'a', token: 'tok-EN_0123456789abcdef' }] },
        webhooks: [{ url: 'https://h/x', secret: 'hook s3cret value' }],
        mqtt: { enabled: false, password: 'mq pass word' },
      }),
      { VIGIL_NO_DEMO: '1' },
    );
    assert.equal(redact('sent tok-EN_0123456789abcdef / hook s3cret value / mq pass word'), 'sent *** / *** / ***');
    // Never seen before: the shape still removes everything up to the last "@" before the host, across spaces.
    assert.equal(redact('from rtsp://us er:a b@c@10.0.0.9/x'), 'from rtsp://***@10.0.0.9/x');
    assert.equal(redact('rtsp://10.0.0.7/stream1 at 5 fps'), 'rtsp://10.0.0.7/stream1 at 5 fps');
  });
});
