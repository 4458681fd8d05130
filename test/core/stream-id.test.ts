import assert from 'node:assert/strict';
import { compareStreamIds, isStreamId, nextStreamId, streamIdBefore } from '../../src/core/stream-id';

describe('stream ids', () => {
  describe('#compareStreamIds', () => {
    it('orders by milliseconds then sequence, numerically', () => {
      assert.ok(compareStreamIds('9-0', '10-0') < 0);
      assert.ok(compareStreamIds('10-2', '10-10') < 0);
      assert.equal(compareStreamIds('10-2', '10-2'), 0);
      assert.ok(compareStreamIds('0', '1-0') < 0);
      assert.ok(compareStreamIds('18446744073709551615-1', '18446744073709551615-0') > 0);
    });
    it('stays exact beyond 2^53 (where Number() would call two ids equal)', () => {
      assert.ok(compareStreamIds('9007199254740993-0', '9007199254740992-0') > 0);
      assert.ok(compareStreamIds('1-9007199254740993', '1-9007199254740992') > 0);
    });
  });
  describe('#isStreamId', () => {
    it('accepts ms-seq within 64 bits and the start ids, refuses the rest', () => {
      assert.ok(isStreamId('1700000000000-3'));
      assert.ok(isStreamId('0') && isStreamId('0-0'));
      assert.ok(!isStreamId('18446744073709551616-0'));
      assert.ok(!isStreamId('18446744073709551615-18446744073709551615'));
      assert.ok(!isStreamId('12') && !isStreamId('a-1'));
    });
  });
  describe('#nextStreamId', () => {
    it('is the smallest id after the given one, exact beyond 2^53', () => {
      assert.equal(nextStreamId('5-0'), '5-1');
      assert.equal(nextStreamId('5'), '5-1');
      assert.equal(nextStreamId('5-9007199254740992'), '5-9007199254740993');
    });
  });
  describe('#streamIdBefore', () => {
    it('gives the id XREAD must start after to return the entry itself', () => {
      assert.equal(streamIdBefore('1700000000500-3'), '1700000000500-2');
      assert.equal(streamIdBefore('1700000000500-0'), '1700000000499-18446744073709551615');
      assert.equal(streamIdBefore('0-1'), '0-0');
    });
  });
});
