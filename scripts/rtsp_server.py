#!/usr/bin/python3
"""A tiny RTSP server for Vigil's tests and benchmarks: serves an H.264 MP4 file in an endless loop.

Usage: /usr/bin/python3 scripts/rtsp_server.py --file vtest.mp4 [--port 8554] [--path /cam ...] [--host 127.0.0.1]
       [--protocols tcp,udp]

--protocols: the RTP transports the server accepts (default both). `udp` alone answers a TCP SETUP with
"461 Unsupported transport", as VLC does; `tcp` alone refuses UDP the same way.

The H.264 is demuxed from the MP4 and sent as RTP without re-encoding, so many cameras cost little CPU. Looping:
the demuxer plays in segment mode; on SEGMENT_DONE it is seeked back to 0 without flushing, so timestamps
keep increasing (a client sees one endless stream, like a real camera). Prints "READY <port>" once listening.
One shared media per path: every client sees the same live stream.
"""
import argparse
import signal
import sys
import time

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
gi.require_version("GstRtsp", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def wait_for_segment(media, timeout):
    """Waits until every stream of the media has a segment on the pad it sends into the RTP session."""
    deadline = time.monotonic() + timeout
    pads = []
    for i in range(media.n_streams()):
        src = media.get_stream(i).get_srcpad()
        pads.append(src.get_peer() or src)
    while time.monotonic() < deadline:
        if all(p.get_sticky_event(Gst.EventType.SEGMENT, 0) is not None for p in pads):
            return True
        time.sleep(0.002)
    print(f"rtsp_server: no segment after {timeout} s", file=sys.stderr, flush=True)
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--file", required=True)
    ap.add_argument("--port", type=int, default=8554)
    ap.add_argument("--path", action="append", help="mount path (repeatable); default /cam")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--protocols", default="tcp,udp", help="accepted RTP transports: tcp, udp or tcp,udp")
    args = ap.parse_args()
    protocols = GstRtsp.RTSPLowerTrans(0)
    for name in args.protocols.split(","):
        name = name.strip()
        if name == "tcp":
            protocols |= GstRtsp.RTSPLowerTrans.TCP
        elif name == "udp":
            protocols |= GstRtsp.RTSPLowerTrans.UDP
        else:
            ap.error(f"--protocols: unknown transport {name!r} (tcp, udp)")

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address(args.host)
    server.set_service(str(args.port))
    def make_factory():
        factory = GstRtspServer.RTSPMediaFactory()
        loc = args.file.replace("\\", "\\\\").replace('"', '\\"')
        factory.set_launch(
            f'( filesrc location="{loc}" ! qtdemux name=demux ! h264parse name=parse config-interval=-1 '
            f"! rtph264pay name=pay0 pt=96 config-interval=-1 )"
        )
        factory.set_shared(True)
        factory.set_protocols(protocols)

        def on_configure(_factory, media):
            bin_ = media.get_element()
            parse = bin_.get_by_name("parse")
            demux = bin_.get_by_name("demux")

            def seek(flags):
                demux.seek(1.0, Gst.Format.TIME, flags, Gst.SeekType.SET, 0, Gst.SeekType.NONE, -1)
                return False

            def on_event(_pad, info):
                ev = info.get_event()
                if ev is not None and ev.type == Gst.EventType.SEGMENT_DONE:
                    # Non-flushing segment seek: the next segment's running time continues where this one ended.
                    GLib.idle_add(seek, Gst.SeekFlags.SEGMENT)
                return Gst.PadProbeReturn.OK

            parse.get_static_pad("sink").add_probe(Gst.PadProbeType.EVENT_DOWNSTREAM, on_event)

            def on_prepared(m):
                # Segment mode: the end of the file posts SEGMENT_DONE instead of EOS. The seek is flushing, and a
                # flush removes the stream's segment until the demuxer sends it again: a PLAY answered in that gap
                # aborts the whole server (gst_rtsp_media_get_rates: "no segment event on send_rtp_sink pad",
                # g_assert). With 32 cameras connecting on 2 busy cores it happened within seconds when the seek ran
                # later from the main loop. So seek here, before DESCRIBE is answered, and wait for the segment.
                seek(Gst.SeekFlags.SEGMENT | Gst.SeekFlags.FLUSH)
                wait_for_segment(m, 5.0)

            media.connect("prepared", on_prepared)

        factory.connect("media-configure", on_configure)
        return factory

    for path in args.path or ["/cam"]:
        server.get_mount_points().add_factory(path, make_factory())
    if server.attach(None) == 0:
        print(f"cannot listen on {args.host}:{args.port}", file=sys.stderr)
        sys.exit(2)
    loop = GLib.MainLoop()
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGTERM, loop.quit)
    GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, signal.SIGINT, loop.quit)
    print(f"READY {args.port}", flush=True)
    loop.run()


if __name__ == "__main__":
    main()
