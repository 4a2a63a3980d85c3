# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The three Amazon EC2 Auto Scaling calls the drain agent makes, over the Query API.

API::

    client = AutoScalingClient(endpoint, region, credentials, timeout=5)
    client.group_of(instance_id) -> str or None        DescribeAutoScalingInstances
    client.record_heartbeat(group, hook, instance_id=None, token=None)
                                                       RecordLifecycleActionHeartbeat
    client.complete(group, hook, result, instance_id=None, token=None)
                                                       CompleteLifecycleAction
    default_endpoint(region) -> str                    https://autoscaling.<region>.amazonaws.com

``credentials`` is a callable answering an object with ``access_key``, ``secret_key`` and
``token`` (the instance profile's, refreshed by the caller). Each call is one signed POST of a
form body (``Action``, ``Version=2011-01-01`` and the parameters, as the Amazon EC2 Auto
Scaling API Reference documents them), bounded by ``timeout``; an error answer raises
AutoScalingError with the service's ``Code`` and ``Message`` (``ErrorResponse/Error``), a
transport failure raises it with code ``Unreachable``. Standard library only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from xml.etree import ElementTree
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, build_opener

from ansible_collections.streamfleet.cluster.plugins.module_utils.drain.sigv4 import sign_request

API_VERSION = "2011-01-01"
SERVICE = "autoscaling"


class AutoScalingError(Exception):
    """An Auto Scaling call failed; ``code`` is the service's error code (message safe to show)."""

    def __init__(self, code, message, status=None):
        super(AutoScalingError, self).__init__("%s: %s" % (code, message))
        self.code = code
        self.status = status


def default_endpoint(region):
    # The China partition has its own domain.
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return "https://autoscaling.%s.%s" % (region, suffix)


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _children(element, name):
    return [child for child in element if _local(child.tag) == name]


def _find_path(element, *names):
    found = [element]
    for name in names:
        found = [child for parent in found for child in _children(parent, name)]
    return found


def _text(element, name):
    found = _children(element, name)
    return (found[0].text or "").strip() if found else None


def _error_of(body, status):
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError:
        return AutoScalingError("HTTP%d" % status, "an answer that is not XML", status)
    errors = _find_path(root, "Error") or [e for e in root.iter() if _local(e.tag) == "Error"]
    if not errors:
        return AutoScalingError("HTTP%d" % status, "an error answer without an Error element", status)
    return AutoScalingError(_text(errors[0], "Code") or "HTTP%d" % status, _text(errors[0], "Message") or "", status)


class AutoScalingClient(object):
    def __init__(self, endpoint, region, credentials, timeout=5, opener=None, clock=None):
        self.endpoint = endpoint.rstrip("/") + "/"
        self.region = region
        self.timeout = timeout
        self._credentials = credentials
        self._opener = opener or build_opener()
        self._now = clock

    def call(self, action, params):
        """POST ``action`` with ``params``; the parsed XML answer's root element."""
        form = [("Action", action), ("Version", API_VERSION)]
        form.extend((key, value) for key, value in params.items() if value is not None)
        body = urlencode(form).encode("utf-8")
        headers = sign_request("POST", self.endpoint, body, self.region, SERVICE, self._credentials(),
                               now=self._now() if self._now else None,
                               headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        request = Request(self.endpoint, data=body, method="POST", headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                text = response.read()
        except HTTPError as exc:
            raise _error_of(exc.read(), exc.code)
        except (URLError, OSError, ValueError) as exc:
            raise AutoScalingError("Unreachable", "%s: %s" % (self.endpoint, getattr(exc, "reason", None) or exc))
        try:
            return ElementTree.fromstring(text)
        except ElementTree.ParseError:
            raise AutoScalingError("BadAnswer", "%s answered %s with something that is not XML" % (self.endpoint, action))

    def group_of(self, instance_id):
        root = self.call("DescribeAutoScalingInstances", {"InstanceIds.member.1": instance_id})
        for member in _find_path(root, "DescribeAutoScalingInstancesResult", "AutoScalingInstances", "member"):
            if _text(member, "InstanceId") == instance_id:
                return _text(member, "AutoScalingGroupName")
        return None

    def record_heartbeat(self, group, hook, instance_id=None, token=None):
        self.call("RecordLifecycleActionHeartbeat", {
            "AutoScalingGroupName": group, "LifecycleHookName": hook,
            "LifecycleActionToken": token, "InstanceId": None if token else instance_id})

    def complete(self, group, hook, result, instance_id=None, token=None):
        self.call("CompleteLifecycleAction", {
            "AutoScalingGroupName": group, "LifecycleHookName": hook, "LifecycleActionResult": result,
            "LifecycleActionToken": token, "InstanceId": None if token else instance_id})
