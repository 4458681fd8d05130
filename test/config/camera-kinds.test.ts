import assert from 'node:assert/strict';
import { parseConfig } from '../../src/config/load';
import { ConfigError } from '../../src/core/errors';

function problems(cameras: unknown[]): string[] {
  try {
    parseConfig(JSON.stringify({ cameras }), { VIGIL_NO_DEMO: '1' });
    return [];
  } catch (err) {
    assert.ok(err instanceof ConfigError, String(err));
    return err.problems;
  }
}

describe('config: camera source kinds (transport, timing, snapshot)', () => {
  it('defaults: transport auto, timing auto, not a snapshot', () => {
    const c = parseConfig(JSON.stringify({ cameras: [{ id: 'a', url: 'rtsp://cam/s' }] }), { VIGIL_NO_DEMO: '1' });
    assert.equal(c.cameras[0].transport, 'auto');
    assert.equal(c.cameras[0].timing, 'auto');
    assert.equal(c.cameras[0].snapshot, false);
  });
  it('accepts each kind where it applies', () => {
    assert.deepEqual(
      problems([
        { id: 'a', url: 'rtsp://cam/s', transport: 'udp' },
        { id: 'b', url: 'http://cam/video.mjpg', timing: 'stream' },
        { id: 'c', url: 'https://cdn/x/index', timing: 'paced' },
        { id: 'd', url: 'http://u:p@cam/onvif/snapshot?Profile_1', snapshot: true, detect: { fps: 1 } },
      ]),
      [],
    );
  });
  it('names what does not apply, with the path', () => {
    assert.deepEqual(problems([{ id: 'a', url: 'rtsp://cam/s', snapshot: true }]), ['cameras[0].snapshot: snapshot: true needs an http(s):// URL that answers each request with a JPEG']);
    assert.deepEqual(problems([{ id: 'a', url: 'http://cam/snap', snapshot: true, detect: { fps: 10 } }]), [
      'cameras[0].detect.fps: a snapshot camera is fetched at most 5 times a second (use its video stream for more)',
    ]);
    assert.deepEqual(problems([{ id: 'a', url: 'rtsp://cam/s', timing: 'wallclock' }]), [
      'cameras[0].timing: timing is for http(s), rtmp, udp and srt streams (RTSP carries reliable timestamps)',
    ]);
    assert.deepEqual(problems([{ id: 'a', url: '/media/a.mp4', timing: 'paced' }]), ['cameras[0].timing: timing is for network streams; files use realtime']);
    assert.deepEqual(problems([{ id: 'a', url: 'http://cam/v.mjpg', transport: 'tcp' }]), ['cameras[0].transport: transport is for rtsp:// cameras only']);
    assert.deepEqual(problems([{ id: 'a', url: 'rtsp://cam/s', transport: 'quic' }]), ['cameras[0].transport: must be auto, tcp or udp']);
  });
});
