import assert from 'node:assert/strict';
import { buildFfmpegArgs, toArgv } from '../../src/ingest/ffmpeg-args';
import {
  cameraRecording,
  openedSegment,
  parseSegmentList,
  recordingFailedLine,
  recordOutput,
  teeEscape,
} from '../../src/ingest/recorder-args';

const REC = { enabled: true, segmentSeconds: 2, maxMbPerCamera: 64 };

describe('recorder args (pure)', () => {
  it('copies the video into MPEG-TS segments through tee with onfail=ignore and a null slave that never fails', () => {
    const out = recordOutput({ dir: '/var/rec/door', run: 'abc1', segmentSeconds: 2 });
    assert.deepEqual(out.options, ['-map', '0:v:0', '-c:v', 'copy', '-f', 'tee']);
    assert.equal(
      out.target,
      '[f=segment:onfail=ignore:segment_time=2:reset_timestamps=1:segment_format=mpegts:segment_list=/var/rec/door/abc1.csv:segment_list_type=csv:segment_list_size=20]/var/rec/door/abc1-%06d.ts|[f=null:onfail=ignore]-',
    );
  });

  it('escapes tee specials and doubles % in the directory', () => {
    assert.equal(teeEscape("a:b=c[d]e|f'g\\h"), "a\\:b\\=c\\[d\\]e\\|f\\'g\\\\h");
    const out = recordOutput({ dir: '/r/50%:x', run: 'r', segmentSeconds: 1 });
    assert.match(out.target, /\]\/r\/50%%\\:x\/r-%06d\.ts\|/);
    assert.throws(() => recordOutput({ dir: '/r', run: 'a b', segmentSeconds: 2 }), /run name/);
    assert.throws(() => recordOutput({ dir: '/r', run: 'a', segmentSeconds: 0 }), /segmentSeconds/);
  });

  it('is a second output after the raw frames, for video sources only', () => {
    const record = recordOutput({ dir: '/r/c', run: 'x', segmentSeconds: 2 });
    const rtsp = buildFfmpegArgs({ url: 'rtsp://cam/s', fps: 5, width: 640, record });
    const argv = toArgv(rtsp);
    assert.equal(argv.indexOf('pipe:1') + 1, argv.indexOf('-map'));
    assert.equal(argv.at(-1), record.target);
    assert.equal(buildFfmpegArgs({ url: '/m/%04d.jpg', fps: 1, width: 640, record }).record, undefined);
    assert.equal(buildFfmpegArgs({ url: 'http://cam/snap.jpg', snapshot: true, fps: 1, width: 640, record }).record, undefined);
    assert.ok(buildFfmpegArgs({ url: '/m/v.mp4', fps: 5, width: 640, record }).record);
  });

  it('reads segment switches, failures and the segment list from FFmpeg', () => {
    assert.equal(openedSegment("[segment @ 0x55] Opening '/r/door/x1-000003.ts' for writing", 'x1'), '/r/door/x1-000003.ts');
    assert.equal(openedSegment("[segment @ 0x55] Opening '/r/door/x1.csv' for writing", 'x1'), undefined);
    assert.equal(openedSegment("[segment @ 0x55] Opening '/r/door/x0-000003.ts' for writing", 'x1'), undefined);
    assert.ok(recordingFailedLine('[tee @ 0x5] Slave muxer #0 failed: No such file or directory, continuing with 1/2 slaves.'));
    assert.ok(recordingFailedLine("[segment @ 0x5] Failed to open segment '/r/x-000002.ts'"));
    assert.ok(!recordingFailedLine('[segment @ 0x5] Opening x for writing'));
    assert.deepEqual(parseSegmentList('x-000000.ts,0.000000,2.000000\nx-000001.ts,2.000000,3.300000\n'), [
      { name: 'x-000000.ts', start: 0, end: 2 },
      { name: 'x-000001.ts', start: 2, end: 3.3 },
    ]);
  });

  it('records a camera by its own setting over the section, never images or snapshots', () => {
    assert.deepEqual(cameraRecording({ url: 'rtsp://c/s' }, REC), { segmentSeconds: 2, maxBytes: 64 * 1024 * 1024 });
    assert.equal(cameraRecording({ url: 'rtsp://c/s' }, { ...REC, enabled: false }), undefined);
    assert.deepEqual(cameraRecording({ url: 'rtsp://c/s', recording: { enabled: true, maxMb: 8, segmentSeconds: 4 } }, { ...REC, enabled: false }), {
      segmentSeconds: 4,
      maxBytes: 8 * 1024 * 1024,
    });
    assert.equal(cameraRecording({ url: 'rtsp://c/s', recording: { enabled: false } }, REC), undefined);
    assert.equal(cameraRecording({ url: 'http://c/snap', snapshot: true }, REC), undefined);
    assert.equal(cameraRecording({ url: '/photos/%03d.jpg' }, REC), undefined);
    assert.equal(cameraRecording({ url: '/media/v.mp4', realtime: false }, REC), undefined);
  });
});
