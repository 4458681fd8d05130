import assert from 'node:assert/strict';
import { tfOutSize } from '../../../src/models/face-api/tf-layers';

describe('tfOutSize', () => {
  it("follows TF's 'same' (ceil) and 'valid' sizes used by face-api's networks", () => {
    assert.equal(tfOutSize(150, 7, 2, 'valid'), 72);
    assert.equal(tfOutSize(72, 3, 2, 'valid'), 35);
    assert.equal(tfOutSize(8, 2, 2, 'valid'), 4);
    assert.equal(tfOutSize(8, 3, 2, 'valid'), 3); // the recognition net's down block: conv 3 < pool 4, padded
    assert.equal(tfOutSize(112, 3, 2, 'same'), 56);
    assert.equal(tfOutSize(3, 3, 2, 'same'), 2);
  });
});
