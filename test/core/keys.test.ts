import assert from 'node:assert/strict';
import { Keys } from '../../src/core/keys';

describe('Keys', () => {
  it('puts every name under the prefix', () => {
    const k = new Keys('p1');
    const names = [
      k.frame('cam', 3),
      k.cameraStatus('cam'),
      k.cameraIndex,
      k.cameraOverrides,
      k.detections('cam'),
      k.lease('track', 'cam'),
      k.alertEvents,
      k.alert('1-0'),
      k.snapshot('1-0'),
      k.alertIndex,
      k.faces,
      k.webhookDeadLetters,
      k.bullPrefix,
      ...Object.values(k.channels),
    ];
    for (const n of names) {
      assert.ok(n.startsWith('p1:'), n);
    }
    assert.equal(new Set(names).size, names.length, 'names are distinct');
  });
  it('#ctor rejects a prefix that could collide with another deployment', () => {
    assert.throws(() => new Keys(''), TypeError);
    assert.throws(() => new Keys('a b'), TypeError);
    assert.throws(() => new Keys('a*'), TypeError);
  });
});
