"""The benchmark's counting proxy: the tests' one proxy implementation, ``tests/lib/fault_proxy.py``.

Put it in front of an AWS emulator and point ``AWS_ENDPOINT_URL`` at it: every request is
forwarded unchanged and counted by ``(service, action)`` (see that module for the rules).
The benchmark configures no faults, so it only forwards and counts.
"""

import importlib.util
from pathlib import Path

_PATH = Path(__file__).resolve().parent.parent / "tests" / "lib" / "fault_proxy.py"
_spec = importlib.util.spec_from_file_location("streamfleet_fault_proxy", _PATH)
_impl = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_impl)

service_of = _impl.service_of
action_of = _impl.action_of
classify = _impl.classify
FaultProxy = _impl.FaultProxy
CountingProxy = _impl.CountingProxy

__all__ = ["service_of", "action_of", "classify", "CountingProxy", "FaultProxy"]
