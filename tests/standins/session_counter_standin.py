#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A WCS statistics page whose session count the test sets (a TEST DOUBLE).

    session_counter_standin.py --port 18171 --sessions 2

``GET /?action=stat`` answers in the layout of the WCS stand-in's stats page
(``tests/standins/archives/common/standin_server.py``, ``WcsApp.stats``: sections with a header
line, ``key=value`` lines, a blank line between sections), with ``connections`` and
``connections_websocket`` set to the current count. ``PUT /_control/sessions`` (body: a number)
changes it. The drain agent's Molecule test points the agent's ``sessions.url`` here, so the
test decides when the server is empty without real WebRTC clients.
Standard library only.
"""

import argparse
import http.server
import sys
import threading


class Counter(object):
    def __init__(self, sessions):
        self.lock = threading.Lock()
        self.sessions = sessions

    def page(self):
        with self.lock:
            count = self.sessions
        return "\n".join([
            "-----Connection Stats-----", "connections=%d" % count, "connections_websocket=%d" % count,
            "connections_rtmp=0", "",
            "-----Stream Stats-----", "streams_webrtc_in=0", "streams_webrtc_out=%d" % count, "streams_viewers=", "",
            "-----Port Stats-----", "ports_media_free=1000", "ports_media_busy=%d" % (2 * count), "",
        ])


def make_handler(counter, quiet=False):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, fmt, *args):
            if not quiet:
                sys.stderr.write("session-counter: " + (fmt % args) + "\n")

        def _send(self, status, body):
            data = body.encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self):
            if self.path.split("?")[0] == "/" and "action=stat" in self.path:
                self._send(200, counter.page())
            else:
                self._send(404, "not found\n")

        def do_PUT(self):
            length = int(self.headers.get("Content-Length") or 0)
            text = self.rfile.read(length).decode("utf-8").strip() if length else ""
            if self.path != "/_control/sessions" or not text.isdigit():
                self._send(400, "PUT /_control/sessions with a number\n")
                return
            with counter.lock:
                counter.sessions = int(text)
            self._send(200, "")

    return Handler


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bind", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=18171)
    parser.add_argument("--sessions", type=int, default=0)
    args = parser.parse_args(argv)
    server = http.server.ThreadingHTTPServer((args.bind, args.port), make_handler(Counter(args.sessions)))
    sys.stderr.write("session-counter: listening on %s:%d\n" % (args.bind, args.port))
    server.serve_forever()


if __name__ == "__main__":
    main()
