"""wcs_stats_info as ansible-playbook runs it, against a stand-in stats page on 127.0.0.1."""
import http.server
import threading

import pytest

PAGE = (
    "-----connections_stats-----\n"
    "connections=4\n"
    "connections_websocket=4\n"
    "\n"
    "-----port_stats-----\n"
    "ports_media_free=1990\n"
    "ports_media_busy=10\n"
)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        if self.path != "/?action=stat":
            self.send_error(404)
            return
        data = PAGE.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def stats_port():
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_address[1]
    httpd.shutdown()
    httpd.server_close()


def test_stats_in_a_playbook_and_in_check_mode(playbook, stats_port):
    tasks = [
        {"name": "Read stats", "streamfleet.cluster.wcs_stats_info": {"port": stats_port, "timeout": 5},
         "register": "wcs"},
        {"name": "Use them", "ansible.builtin.assert": {"that": [
            "wcs.stats.ports_media_free > 1000",
            "wcs.sections.connections_stats.connections == 4",
            "wcs is not changed",
        ]}},
    ]
    for check in (False, True):
        results = playbook.run(tasks, check=check)
        assert results[0]["changed"] is False
        assert results[0]["stats"]["ports_media_busy"] == 10
        assert results[1].get("failed") is not True
