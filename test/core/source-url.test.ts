import assert from 'node:assert/strict';
import { displaySourceUrl, parseSourceUrl, sourceSecrets } from '../../src/core/source-url';

const parse = (s: string) => {
  const p = parseSourceUrl(s);
  assert.ok(p.ok, s);
  return p.url;
};

describe('parseSourceUrl', () => {
  it('splits like FFmpeg: the last @ of the authority ends the user information', () => {
    const u = parse('rtsp://user:S3cret@Passw0rd@10.0.0.7:554/stream1?x=1');
    assert.deepEqual([u.scheme, u.user, u.password, u.host, u.port, u.rest], ['rtsp', 'user', 'S3cret@Passw0rd', '10.0.0.7', 554, '/stream1?x=1']);
  });
  it('keeps spaces, colons and percent-escapes in credentials', () => {
    const u = parse('rtsp://us er:p:a ss%2Fw%40rd@cam/s');
    assert.deepEqual([u.user, u.password, u.host], ['us er', 'p:a ss%2Fw%40rd', 'cam']);
  });
  it('reads IPv6 literals, opaque schemes and paths', () => {
    assert.deepEqual([parse('rtsp://[::1]:8554/x').host, parse('rtsp://[::1]:8554/x').port], ['::1', 8554]);
    assert.equal(parse('concat:/a|/b').kind, 'opaque');
    assert.equal(parse('/media/a b.mp4').kind, 'path');
    assert.equal(parse('file:///media/x.mp4').host, '');
  });
  it('refuses what FFmpeg could not use', () => {
    for (const s of ['', 'rtsp://[::1', 'rtsp://h:0/', 'rtsp://h:99999/', 'rtsp://h:x/', 'rtsp://h/a b', 'rtsp://h/\u0000', 'rtsp://h\n/x', 'rtsp://[zz]/']) {
      assert.equal(parseSourceUrl(s).ok, false, JSON.stringify(s));
    }
  });
});

describe('displaySourceUrl / sourceSecrets', () => {
  it('shows no credentials whatever they hold', () => {
    assert.equal(parseSourceUrl('rtsp://us er:S3cret@Pa ss/w%40rd@cam:554/s').ok, false, "an unencoded '/' ends the authority");
    const v = parse('rtsp://us er:S3cret@Pa ss%2Fw%40rd@cam:554/s?token=abc123&res=hd');
    assert.equal(displaySourceUrl(v), 'rtsp://***@cam:554/s?token=***&res=hd');
    assert.deepEqual(sourceSecrets(v).sort(), ['S3cret@Pa ss%2Fw%40rd', 'S3cret@Pa ss/w@rd', 'abc123', 'us er:S3cret@Pa ss%2Fw%40rd', 'us er:S3cret@Pa ss/w@rd'].sort());
  });
});
