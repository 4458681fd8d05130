import assert from 'node:assert/strict';
import { RtspTransportChooser } from '../../src/ingest/rtsp-transport';
import { stallLimitMs } from '../../src/ingest/camera-supervisor';

describe('RtspTransportChooser', () => {
  it('auto starts with TCP and falls back to UDP when the server answers 461', () => {
    const c = new RtspTransportChooser('auto');
    assert.equal(c.transport, 'tcp');
    const v = c.refusedByServer();
    assert.deepEqual(v, { retry: true, next: 'udp', reason: 'the RTSP server refuses RTP over TCP (461): trying UDP' });
    assert.equal(c.transport, 'udp');
    c.streaming();
    assert.equal(c.inUse, 'udp');
  });
  it('auto gives up when both transports are refused', () => {
    const c = new RtspTransportChooser('auto');
    c.refusedByServer();
    const v = c.refusedByServer();
    assert.equal(v.retry, false);
    assert.match(v.reason, /refuses both TCP and UDP/);
  });
  it('a fixed transport refused is a configuration problem, named with the fix', () => {
    const c = new RtspTransportChooser('tcp');
    const v = c.refusedByServer();
    assert.equal(v.retry, false);
    assert.match(v.reason, /refuses RTP over TCP \(set transport: udp or auto\)/);
    assert.equal(c.transport, 'tcp');
    assert.equal(new RtspTransportChooser('udp').noData(), undefined);
  });
  it('auto alternates on no data until a transport delivers frames, then keeps it', () => {
    const c = new RtspTransportChooser('auto');
    assert.equal(c.noData(), 'udp');
    assert.equal(c.noData(), 'tcp');
    c.streaming();
    assert.equal(c.noData(), undefined, 'a transport that worked is kept when the camera goes quiet');
    assert.equal(c.transport, 'tcp');
  });
  it('no data never switches to a transport the server refused', () => {
    const c = new RtspTransportChooser('auto');
    c.refusedByServer();
    assert.equal(c.noData(), undefined);
    assert.equal(c.transport, 'udp');
  });
});

describe('stallLimitMs', () => {
  it('is stallSeconds, but at least three frame intervals', () => {
    assert.equal(stallLimitMs(5, 5), 5000);
    assert.equal(stallLimitMs(5, 0.2), 15_000);
    assert.equal(stallLimitMs(1, 1), 3000);
  });
});
