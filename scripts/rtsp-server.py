#!/usr/bin/python3
"""A real RTSP camera for tests: serves a video file, looped and re-encoded to
H.264 (640x360, 5 fps, 2 s GOP), at rtsp://127.0.0.1:PORT/cam.

    /usr/bin/python3 scripts/rtsp-server.py VIDEO PORT

Prints "ready" once it listens. Runs until killed. Needs Debian's GStreamer
RTSP server (scripts/setup.sh --test) and Debian's own python3 for `gi`.
"""
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


class LoopingFactory(GstRtspServer.RTSPMediaFactory):
    def __init__(self, video):
        super().__init__()
        self.video = video

    def do_create_element(self, url):
        launch = (
            f'( filesrc location="{self.video}" ! decodebin ! videoconvert ! videoscale ! videorate '
            "! video/x-raw,width=640,height=360,framerate=5/1 "
            "! x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 "
            "! rtph264pay name=pay0 pt=96 )"
        )
        return Gst.parse_launch(launch)

    def do_configure(self, media):
        # Loop the file: on end of stream, seek the pipeline back to the start.
        element = media.get_element()
        bus = element.get_bus()

        def on_message(_bus, message):
            if message.type == Gst.MessageType.EOS:
                element.seek_simple(Gst.Format.TIME, Gst.SeekFlags.FLUSH, 0)
            return True

        bus.add_signal_watch()
        bus.connect("message", on_message)


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: rtsp-server.py VIDEO PORT")
    video, port = sys.argv[1], sys.argv[2]
    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(port)
    factory = LoopingFactory(video)
    factory.set_shared(True)
    server.get_mount_points().add_factory("/cam", factory)
    if server.attach(None) == 0:
        sys.exit(f"cannot listen on 127.0.0.1:{port}")
    print("ready", flush=True)
    GLib.MainLoop().run()


if __name__ == "__main__":
    main()
