"""The Ant Media stand-in's console application (first administrator API) on 127.0.0.1.

Runs ``AntMediaApp`` of tests/standins/archives/common/standin_server.py (the process the
stand-in archive starts on a test host) in a thread on a free port, with its users in a file
under the given directory: the tests' stand-in for a balancer in front of Ant Media origins.
"""
import importlib.util
import threading
from pathlib import Path

STANDIN = Path(__file__).resolve().parents[1] / "standins" / "archives" / "common" / "standin_server.py"


def load_standin():
    spec = importlib.util.spec_from_file_location("standin_server", str(STANDIN))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class RunningConsole:
    def __init__(self, directory, handler_base=None):
        standin = load_standin()
        home = Path(directory) / "antmedia"
        (home / "webapps" / "root" / "WEB-INF").mkdir(parents=True, exist_ok=True)
        self.app = standin.AntMediaApp(str(home))
        self.app.start_background()
        handler = type("Handler", (handler_base or standin.BaseHandler,), {"app": self.app})
        self.server = standin.Server(("127.0.0.1", 0), handler)
        self.server.kind = "http"
        self.url = "http://127.0.0.1:%d" % self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()

    def users(self):
        return self.app.users.all()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
