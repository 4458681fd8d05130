import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import {
  autoTiming,
  buildFfmpegArgs,
  corruptFrameLine,
  decoderNoiseLine,
  inputKind,
  isSegmentedStream,
  parseOutputSize,
  protocolWhitelist,
  scaledHeight,
  toArgv,
  unsupportedTransportLine,
} from '../../src/ingest/ffmpeg-args';

function after(argv: string[], flag: string): string | undefined {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
}

describe('buildFfmpegArgs', () => {
  it('uses RTSP over TCP by default, with -timeout in microseconds; a corrupt frame is not fatal (no -xerror)', () => {
    const a = toArgv(buildFfmpegArgs({ url: 'rtsp://u:p@10.0.0.7/s', fps: 5, width: 640, timeoutUs: 5_000_000 }));
    assert.equal(after(a, '-rtsp_transport'), 'tcp');
    assert.equal(after(a, '-timeout'), '5000000');
    assert.ok(!a.includes('-xerror'), 'one corrupt frame must not end FFmpeg');
    assert.equal(after(a, '-fflags'), '+discardcorrupt');
    assert.ok(!a.includes('-stimeout'), '-stimeout no longer exists in FFmpeg 5.1');
    assert.ok(a.indexOf('-timeout') < a.indexOf('-i'), '-timeout is an input option');
    assert.ok(!a.includes('-re'), 'a live camera is not throttled');
  });
  it('uses UDP when asked', () => {
    const a = toArgv(buildFfmpegArgs({ url: 'rtsp://cam/s', transport: 'udp', fps: 5, width: 640 }));
    assert.equal(after(a, '-rtsp_transport'), 'udp');
  });
  it('loops files at real-time speed', () => {
    const a = toArgv(buildFfmpegArgs({ url: '/media/vtest.mp4', fps: 5, width: 640 }));
    assert.ok(a.indexOf('-re') < a.indexOf('-i'));
    assert.equal(after(a, '-stream_loop'), '-1');
    assert.equal(after(a, '-i'), '/media/vtest.mp4');
  });
  it('reads a file at full speed with realtime: false (no -re), still looping', () => {
    const a = toArgv(buildFfmpegArgs({ url: '/media/vtest.mp4', realtime: false, fps: 10, width: 640 }));
    assert.ok(!a.includes('-re'));
    assert.equal(after(a, '-stream_loop'), '-1');
    const img = toArgv(buildFfmpegArgs({ url: '/demo/s%d.jpg', realtime: false, fps: 1, width: 640 }));
    assert.ok(!img.includes('-re'));
    assert.ok(toArgv(buildFfmpegArgs({ url: 'rtsp://cam/s', realtime: false, fps: 5, width: 640 })).every((x) => x !== '-re'));
  });
  it('does not loop a file with loop: false, and strips file://', () => {
    const r = buildFfmpegArgs({ url: 'file:///media/a%20b.mp4', loop: false, fps: 5, width: 640 });
    assert.equal(r.input, '/media/a b.mp4');
    assert.ok(!r.inputOptions.includes('-stream_loop'));
  });
  it('plays an image sequence as a fixed-size slideshow', () => {
    const r = buildFfmpegArgs({ url: '/demo/sample%d.jpg', fps: 5, width: 640 });
    assert.equal(r.kind, 'images');
    assert.equal(after(r.inputOptions, '-f'), 'image2');
    assert.equal(after(r.inputOptions, '-reinit_filter'), '0');
    assert.deepEqual(r.size, { width: 640, height: 480 });
    assert.match(after(r.outputOptions, '-vf') ?? '', /pad=640:480/);
  });
  it('scales to the detect width at the detect fps, height from the aspect (even)', () => {
    const r = buildFfmpegArgs({ url: 'rtsp://cam/s', fps: 2.5, width: 641 });
    assert.equal(after(r.outputOptions, '-vf'), 'fps=2.5,scale=642:-2');
    assert.equal(r.size, undefined);
  });
  it('uses both dimensions when the height is configured', () => {
    const r = buildFfmpegArgs({ url: 'rtsp://cam/s', fps: 5, width: 640, height: 360 });
    assert.deepEqual(r.size, { width: 640, height: 360 });
    assert.match(after(r.outputOptions, '-vf') ?? '', /scale=640:360$/);
  });
  it('writes raw rgb24 to stdout, never to a file', () => {
    const a = toArgv(buildFfmpegArgs({ url: 'rtsp://cam/s', fps: 5, width: 640 }));
    assert.equal(after(a, '-f'), 'rawvideo');
    assert.equal(after(a, '-pix_fmt'), 'rgb24');
    assert.equal(a[a.length - 1], 'pipe:1');
  });
  it('starts FFmpeg with a protocol whitelist for the source\'s scheme only', () => {
    const wl = (url: string) => after(toArgv(buildFfmpegArgs({ url, fps: 5, width: 640 })), '-protocol_whitelist');
    assert.equal(wl('rtsp://cam/s'), 'rtsp,rtp,srtp,tcp,udp');
    assert.equal(wl('rtsps://cam/s'), 'rtsp,rtsps,rtp,srtp,tcp,udp,tls');
    assert.equal(wl('https://cam/x.m3u8'), 'http,https,tcp,tls,crypto');
    assert.equal(after(toArgv(buildFfmpegArgs({ url: 'http://cam/snap', snapshot: true, fps: 1, width: 640 })), '-protocol_whitelist'), 'http,https,tcp,tls,crypto');
    assert.equal(wl('udp://@239.0.0.1:1234'), 'udp');
    assert.equal(wl('/media/a.mp4'), 'file');
    assert.equal(wl('file:///media/a.mp4'), 'file');
    assert.equal(wl('concat:/etc/passwd|/etc/hosts'), 'file');
    assert.equal(protocolWhitelist('subfile:,start,0,end,0,:/etc/passwd'), 'file');
    const a = toArgv(buildFfmpegArgs({ url: 'rtsp://cam/s', fps: 5, width: 640 }));
    assert.ok(a.indexOf('-protocol_whitelist') < a.indexOf('-i'), 'an input option');
  });
  it('real FFmpeg: the whitelist refuses to open concat: and subfile:, and still opens a file @integration', function () {
    this.timeout(20_000);
    const media = process.env.VIGIL_TEST_MEDIA ?? path.resolve(__dirname, '..', '..', '..', 'shared', 'media');
    const probe = (url: string) => {
      const a = buildFfmpegArgs({ url, fps: 1, width: 64, loop: false, realtime: false });
      const argv = ['-hide_banner', '-nostdin', ...a.inputOptions, '-i', a.input, '-frames:v', '1', '-f', 'null', '-'];
      return spawnSync('ffmpeg', argv, { encoding: 'utf8', timeout: 15_000 });
    };
    for (const url of ['concat:/etc/hostname|/etc/hosts', 'subfile:,start,0,end,0,:/etc/hostname']) {
      const r = probe(url);
      assert.notEqual(r.status, 0, url);
      assert.match(r.stderr, /Protocol '(concat|subfile)' not on whitelist 'file'/, `${url}: ${r.stderr.slice(-300)}`);
    }
    const ok = probe(path.join(media, 'vtest.mp4'));
    assert.equal(ok.status, 0, ok.stderr.slice(-500));
  });
  it('timing: wall-clock timestamps for HTTP streams (MJPEG), paced reading for HLS/DASH, the stream\'s own for the rest', () => {
    const opts = (url: string, timing?: 'auto' | 'stream' | 'wallclock' | 'paced') => buildFfmpegArgs({ url, timing, fps: 5, width: 640 }).inputOptions;
    assert.equal(after(opts('http://cam/video.mjpg'), '-use_wallclock_as_timestamps'), '1');
    assert.ok(!opts('http://cam/video.mjpg').includes('-re'));
    assert.ok(opts('https://cdn/live/index.m3u8?token=x').includes('-re'));
    assert.ok(!opts('https://cdn/live/index.m3u8').includes('-use_wallclock_as_timestamps'));
    assert.ok(opts('http://cdn/manifest.mpd').includes('-re'));
    for (const url of ['rtmp://srv/live/a', 'udp://@239.0.0.1:1234', 'srt://cam:9000', 'rtsp://cam/s']) {
      assert.ok(!opts(url).includes('-re') && !opts(url).includes('-use_wallclock_as_timestamps'), url);
    }
    assert.ok(!opts('http://cam/video.mjpg', 'stream').includes('-use_wallclock_as_timestamps'));
    assert.ok(opts('http://cam/video.ts', 'paced').includes('-re'));
    assert.equal(after(opts('udp://@239.0.0.1:1234', 'wallclock'), '-use_wallclock_as_timestamps'), '1');
    assert.equal(autoTiming('HTTPS://x/a.M3U8'), 'paced');
    assert.equal(isSegmentedStream('http://x/a.m3u8#t'), true);
    assert.equal(isSegmentedStream('http://x/m3u8'), false);
  });
  it('snapshot: the URL is fetched again for every frame (image2, -loop 1) at the detect fps, paced, codec given', () => {
    const r = buildFfmpegArgs({ url: 'http://u:p@cam/onvif/snapshot?Profile_1', snapshot: true, fps: 0.5, width: 640 });
    assert.equal(r.kind, 'snapshot');
    assert.equal(r.input, 'http://u:p@cam/onvif/snapshot?Profile_1');
    assert.equal(after(r.inputOptions, '-f'), 'image2');
    assert.equal(after(r.inputOptions, '-loop'), '1');
    assert.equal(after(r.inputOptions, '-framerate'), '0.5');
    assert.equal(after(r.inputOptions, '-pattern_type'), 'none');
    assert.equal(after(r.inputOptions, '-c:v'), 'mjpeg');
    assert.ok(r.inputOptions.includes('-re'));
    assert.ok(!r.inputOptions.includes('-timeout'), 'image2 refuses -timeout');
    assert.throws(() => buildFfmpegArgs({ url: 'rtsp://cam/s', snapshot: true, fps: 1, width: 640 }), /http/);
  });
  it('recognises the stderr lines of corrupt or missing frames, and the 461 of a refused transport', () => {
    const corrupt = [
      'rtsp://127.0.0.1:8554/cam: corrupt decoded frame in stream 0',
      'bad.ts: corrupt input packet in stream 0',
      '[mpegts @ 0x55d] Packet corrupt (stream = 0, dts = 5508000), dropping it.',
      '[rtsp @ 0x55d] RTP: missed 12 packets',
      'Error while decoding stream #0:0: Invalid data found when processing input',
    ];
    for (const l of corrupt) {
      assert.equal(corruptFrameLine(l), true, l);
    }
    for (const l of ['[h264 @ 0x5] error while decoding MB 0 9, bytestream 84363', 'Input #0, rtsp, from', 'frame=  10 fps=5']) {
      assert.equal(corruptFrameLine(l), false, l);
    }
    assert.equal(decoderNoiseLine('[h264 @ 0x5] concealing 1345 DC, 1345 AC, 1345 MV errors in I frame'), true);
    assert.equal(decoderNoiseLine('[h264 @ 0x5] error while decoding MB 0 9, bytestream 84363'), true);
    assert.equal(unsupportedTransportLine('[rtsp @ 0x56] method SETUP failed: 461 Unsupported transport'), true);
    assert.equal(unsupportedTransportLine('[rtsp @ 0x56] method SETUP failed: 404 Not Found'), false);
  });
  it('rejects bad input', () => {
    assert.throws(() => buildFfmpegArgs({ url: '', fps: 5, width: 640 }), TypeError);
    assert.throws(() => buildFfmpegArgs({ url: 'rtsp://x', fps: 0, width: 640 }), TypeError);
    assert.throws(() => buildFfmpegArgs({ url: 'rtsp://x', fps: 5, width: 1.5 }), TypeError);
  });
});

describe('inputKind', () => {
  it('classifies URLs', () => {
    assert.equal(inputKind('rtsps://cam/x'), 'rtsp');
    assert.equal(inputKind('http://cam/x.mjpg'), 'network');
    assert.equal(inputKind('./a.mp4'), 'file');
    assert.equal(inputKind('file:///a/img%03d.jpg'), 'images');
  });
});

describe('parseOutputSize', () => {
  it('reads the size of the rawvideo output stream from an FFmpeg 5.1 stderr line', () => {
    const line =
      '  Stream #0:0(und): Video: rawvideo (RGB[24] / 0x18424752), rgb24(pc, gbr/unknown/unknown, progressive), 640x480, q=2-31, 36864 kb/s, 5 fps, 5 tbn (default)';
    assert.deepEqual(parseOutputSize(line), { width: 640, height: 480 });
  });
  it('ignores the input stream line', () => {
    const line = '  Stream #0:0[0x1](und): Video: h264 (Main) (avc1 / 0x31637661), yuv420p(progressive), 768x576, 1032 kb/s';
    assert.equal(parseOutputSize(line), undefined);
  });
  it('computes heights from the aspect ratio', () => {
    assert.equal(scaledHeight(640, 768, 576), 480);
    assert.equal(scaledHeight(640, 1920, 1080), 360);
  });
});
