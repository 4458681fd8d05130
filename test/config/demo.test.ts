import assert from 'node:assert/strict';
import path from 'node:path';
import { demoCamera, parseConfig, usesDemo } from '../../src/config/load';
import { openMessage } from '../../src/api';
import { MEDIA } from '../helpers';

describe('first run: the demo camera and the dashboard address', () => {
  it('with no camera the demo comes with a zone, a line and rules on both', () => {
    const c = parseConfig('', { VIGIL_TEST_MEDIA: MEDIA });
    assert.equal(usesDemo(c), true);
    const cam = c.cameras[0];
    assert.equal(cam.id, 'demo');
    assert.equal(cam.url, path.join(MEDIA, 'vtest.mp4'));
    assert.deepEqual(cam.zones.map((z) => z.id), ['watch']);
    assert.deepEqual(cam.lines.map((l) => l.id), ['crossing']);
    assert.deepEqual(
      c.rules.map((r) => [r.id, r.type, r.camera, r.zone ?? r.line]),
      [
        ['demo-person-in-zone', 'zone_enter', 'demo', 'watch'],
        ['demo-line-crossing', 'line_cross', 'demo', 'crossing'],
      ],
    );
  });
  it('without $VIGIL_TEST_MEDIA the sample photos, the zone over the whole frame', () => {
    const cam = demoCamera({})!;
    assert.match(cam.url, /sample%d\.jpg$/);
    assert.deepEqual(cam.zones[0].polygon, [[0, 0], [1, 0], [1, 1], [0, 1]]);
  });
  it('keeps the config\'s own rules, and adds nothing when cameras are configured', () => {
    const own = parseConfig('rules: [ { id: down, type: camera_down } ]\n', { VIGIL_TEST_MEDIA: MEDIA });
    assert.deepEqual(own.rules.map((r) => r.id), ['down']);
    const mine = parseConfig('cameras: [ { id: a, url: "rtsp://cam/s" } ]\n', { VIGIL_TEST_MEDIA: MEDIA });
    assert.equal(usesDemo(mine), false);
    assert.deepEqual(mine.rules, []);
  });
  it('the address line says how to get in', () => {
    assert.equal(
      openMessage('127.0.0.1', 8080, false, 0),
      'open http://127.0.0.1:8080/ (no server.tokens: no sign-in, this machine only; add tokens to server.tokens to listen beyond loopback)',
    );
    assert.equal(
      openMessage('0.0.0.0', 8443, true, 2),
      'open https://127.0.0.1:8443/ (sign in with one of the 2 tokens of server.tokens (viewer reads, admin also acts); listening on every interface (0.0.0.0))',
    );
    assert.match(openMessage('::1', 8080, false, 0), /^open http:\/\/\[::1\]:8080\//);
  });
});
