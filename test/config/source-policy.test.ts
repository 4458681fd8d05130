import assert from 'node:assert/strict';
import { sourcesSchema, type SourcesConfig } from '../../src/config/schema/sources';
import { checkAddress, checkCameraSource, inetAton, ipOf } from '../../src/config/source-policy';

const policy = (over: Record<string, unknown> = {}): SourcesConfig => Object.freeze(sourcesSchema.parse(over));
const api = (url: string, p = policy()) => checkCameraSource(url, p, 'api', '/srv');
const cfg = (url: string, p = policy()) => checkCameraSource(url, p, 'config', '/srv');
const code = (r: ReturnType<typeof api>) => (r.ok ? 'ok' : r.code);

describe('camera source policy', () => {
  it('refuses files, FFmpeg pseudo-protocols and metadata addresses for API cameras', () => {
    for (const u of ['file:///etc/passwd', '/etc/passwd', './x.mp4', 'concat:/etc/passwd|/etc/hosts', 'subfile:,start,0,end,0,:/etc/passwd', 'pipe:0', 'data:,x', 'hls:http://h/x.m3u8', 'ftp://h/x', 'gopher://h/x']) {
      assert.equal(code(api(u)), 'source_refused', u);
    }
    for (const u of ['http://169.254.169.254/', 'http://169.254.169.254/latest/meta-data/', 'rtsp://[fe80::1]/s', 'http://[::ffff:169.254.169.254]/', 'http://2852039166/', 'http://0xa9fea9fe/', 'http://0251.0376.0251.0376/', 'http://169.254.43518/', 'http://0.0.0.0:80/', 'http://[fd00:ec2::254]/']) {
      const r = api(u);
      assert.equal(code(r), 'source_refused', u);
      assert.ok(!r.ok && /denied by sources\.denyHosts/.test(r.message), u);
    }
  });

  it('allows the network schemes, loopback and LAN hosts for API cameras, and asks to resolve names', () => {
    for (const u of ['rtsp://user:p@ss@10.0.0.7:554/s', 'rtsps://127.0.0.1:8322/x', 'http://[::1]:1984/api/stream.mjpeg', 'srt://:9000?mode=listener', 'udp://@239.0.0.1:1234', 'rtmp://192.168.1.2/live/x', 'rtsp://localhost:8554/cam']) {
      const r = api(u);
      assert.ok(r.ok && r.resolve === undefined, u);
    }
    const r = api('rtsp://cam.example/s');
    assert.ok(r.ok && r.resolve === 'cam.example');
  });

  it('applies allowHosts by address and by name; denyHosts by name', () => {
    const p = policy({ allowHosts: ['10.0.0.0/8', '*.cams.example'], denyHosts: ['169.254.0.0/16', 'bad.cams.example'] });
    assert.ok(api('rtsp://10.1.2.3/s', p).ok);
    assert.equal(code(api('rtsp://192.168.1.2/s', p)), 'source_refused');
    assert.equal(code(api('rtsp://127.0.0.1/s', p)), 'source_refused');
    assert.equal(code(api('rtsp://bad.cams.example/s', p)), 'source_refused');
    assert.ok(api('rtsp://door.cams.example/s', p).ok);
    assert.equal(checkAddress('192.168.1.9', p, true), undefined, 'a name in allowHosts only faces the deny list');
    assert.match(checkAddress('192.168.1.9', p) ?? '', /not in sources\.allowHosts/);
    assert.match(checkAddress('169.254.1.1', p, true) ?? '', /denied/);
  });

  it('files: allowed in the config file unless disabled, only inside roots, API files only when enabled', () => {
    assert.ok(cfg('/any/where.mp4').ok);
    assert.equal(code(cfg('/x.mp4', policy({ files: { enabled: false } }))), 'source_refused');
    const rooted = policy({ files: { roots: ['/media', 'clips'], api: true } });
    assert.ok(cfg('/media/a.mp4', rooted).ok);
    assert.ok(cfg('file:///media/a%20b.mp4', rooted).ok);
    assert.ok(cfg('./clips/x.mp4', rooted).ok, 'relative roots and paths resolve against the working directory');
    for (const u of ['/media/../etc/passwd', '/mediax/a.mp4', 'file:///etc/passwd', '/etc/passwd']) {
      assert.equal(code(cfg(u, rooted)), 'source_refused', u);
      assert.equal(code(api(u, rooted)), 'source_refused', u);
    }
    const r = api('/media/a.mp4', rooted);
    assert.ok(r.ok && r.kind === 'file' && r.file === '/media/a.mp4');
    assert.equal(code(api('/media/a.mp4', policy({ files: { roots: ['/media'] } }))), 'source_refused', 'files.api is off by default');
    assert.equal(code(api('/media/a.mp4', policy({ files: { api: true } }))), 'source_refused', 'API files need roots');
  });

  it('refuses scheme lists it was not given and malformed file URLs', () => {
    assert.equal(code(cfg('http://cam/x', policy({ schemes: ['rtsp'] }))), 'source_refused');
    assert.equal(code(cfg('file://host/x')), 'bad_request');
    assert.equal(code(cfg('file:///a%zz')), 'bad_request');
    assert.equal(code(cfg('media/x.mp4')), 'bad_request');
  });
});

describe('inetAton / ipOf', () => {
  it('reads every IPv4 spelling getaddrinfo accepts', () => {
    assert.equal(inetAton('2852039166'), '169.254.169.254');
    assert.equal(inetAton('0xA9FEA9FE'), '169.254.169.254');
    assert.equal(inetAton('0251.0376.0251.0376'), '169.254.169.254');
    assert.equal(inetAton('169.254.43518'), '169.254.169.254');
    assert.equal(inetAton('127.1'), '127.0.0.1');
    assert.equal(inetAton('256.1.1.1'), undefined);
    assert.equal(inetAton('cam.example'), undefined);
    assert.equal(inetAton('4294967296'), undefined);
  });
  it('maps IPv4-mapped IPv6 to IPv4', () => {
    assert.deepEqual(ipOf('::ffff:169.254.169.254'), { ip: '169.254.169.254', family: 4 });
    assert.deepEqual(ipOf('::ffff:a9fe:a9fe'), { ip: '169.254.169.254', family: 4 });
    assert.deepEqual(ipOf('FE80::1'), { ip: 'fe80::1', family: 6 });
    assert.equal(ipOf('cam'), undefined);
  });
});
