"""The module a converger runs with in the unit tests: params, modes, and exit/fail recorded."""


class Exited(Exception):
    """exit_json or fail_json was called (the real module would have ended the process)."""


class FakeModule(object):
    """``params`` as given; ``result`` / ``failed`` hold what the run exited or failed with."""

    def __init__(self, params, check_mode=False, diff_mode=True):
        self.params = dict(params)
        self.check_mode = check_mode
        self.diff_mode = diff_mode
        self.no_log_values = set()
        self.result = None
        self.failed = None

    def exit_json(self, **result):
        self.result = result
        raise Exited()

    def fail_json(self, msg, **result):
        self.failed = dict(result, msg=msg)
        raise Exited()

    def fail_aws(self, exc, msg):
        self.fail_json(msg + ": " + type(exc).__name__)
