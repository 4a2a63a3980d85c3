# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A server claims its own reserved Elastic IP address at boot (``streamfleet-boot elastic-ip``).

The collection reserves a numbered set of addresses (``aws_elastic_ips``: tags
``streamfleet:deployment``, ``streamfleet:elastic-ip-set``, ``streamfleet:index``); an instance
of the group that boots:

1. reads its instance id and region from the instance metadata (IMDSv2) and the instance
   profile's temporary credentials;
2. lists the set with one ``DescribeAddresses`` filtered by the two tags (EC2 Query API, signed
   with SigV4, standard library only: the image has no boto3);
3. keeps the address already associated with itself (a reboot, a second run), else associates
   the lowest free index with ``AllowReassociation=false``: when two instances boot at once and
   pick the same address, EC2 refuses the second (``Resource.AlreadyAssociated``), which moves on
   to the next free one;
4. prints the public address (the Stream Manager's ``streammanager.ip``).

The instance profile needs ``ec2:DescribeAddresses`` (no resource-level permissions exist for
it) and ``ec2:AssociateAddress`` on the set's allocation ids and its own instances only.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import time
from xml.etree import ElementTree
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, build_opener

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.metadata import instance_credentials
from ansible_collections.streamfleet.cluster.plugins.module_utils.drain.sigv4 import sign_request

API_VERSION = "2016-11-15"
DEPLOYMENT_TAG = "streamfleet:deployment"
SET_TAG = "streamfleet:elastic-ip-set"
INDEX_TAG = "streamfleet:index"
# Another instance took the address between our read and our association.
TAKEN = ("Resource.AlreadyAssociated", "InvalidIPAddress.InUse")
# Worth another try at boot: the network or EC2 not ready, throttling, and a new instance
# profile's role that IAM has not propagated yet (UnauthorizedOperation for a few seconds).
RETRYABLE = ("Unreachable", "RequestLimitExceeded", "Throttling", "InternalError", "Unavailable",
             "ServiceUnavailable", "UnauthorizedOperation", "AuthFailure")


class ElasticIpError(Exception):
    """The address could not be claimed; ``code`` is EC2's error code where there is one."""

    def __init__(self, message, code=None):
        super(ElasticIpError, self).__init__(message)
        self.code = code


def default_endpoint(region):
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return "https://ec2.%s.%s" % (region, suffix)


def _local(tag):
    return tag.rsplit("}", 1)[-1]


def _child(element, name):
    for child in element:
        if _local(child.tag) == name:
            return child
    return None


def _text(element, name):
    found = _child(element, name)
    return (found.text or "").strip() if found is not None else None


class Ec2Client(object):
    """The two EC2 Query API calls of the claim, signed with the instance's credentials."""

    def __init__(self, endpoint, region, credentials, timeout=5, opener=None):
        self.endpoint = endpoint.rstrip("/") + "/"
        self.region = region
        self.timeout = timeout
        self._credentials = credentials
        self._opener = opener or build_opener()

    def call(self, action, params):
        form = [("Action", action), ("Version", API_VERSION)] + list(params)
        body = urlencode(form).encode("utf-8")
        headers = sign_request("POST", self.endpoint, body, self.region, "ec2", self._credentials,
                               headers={"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"})
        request = Request(self.endpoint, data=body, method="POST", headers=headers)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                text = response.read()
        except HTTPError as exc:
            raise self._error_of(exc.read(), exc.code, action)
        except (URLError, OSError, ValueError) as exc:
            raise ElasticIpError("%s %s: %s" % (self.endpoint, action, getattr(exc, "reason", None) or exc),
                                 "Unreachable")
        try:
            return ElementTree.fromstring(text)
        except ElementTree.ParseError:
            raise ElasticIpError("%s answered %s with something that is not XML" % (self.endpoint, action),
                                 "BadAnswer")

    @staticmethod
    def _error_of(body, status, action):
        try:
            errors = [e for e in ElementTree.fromstring(body).iter() if _local(e.tag) == "Error"]
        except ElementTree.ParseError:
            errors = []
        if not errors:
            return ElasticIpError("%s: HTTP %d" % (action, status), "HTTP%d" % status)
        code = _text(errors[0], "Code") or "HTTP%d" % status
        return ElasticIpError("%s: %s: %s" % (action, code, _text(errors[0], "Message") or ""), code)

    def addresses(self, deployment, name):
        root = self.call("DescribeAddresses", [
            ("Filter.1.Name", "tag:" + DEPLOYMENT_TAG), ("Filter.1.Value.1", deployment),
            ("Filter.2.Name", "tag:" + SET_TAG), ("Filter.2.Value.1", name)])
        found = []
        addresses_set = _child(root, "addressesSet")
        for item in list(addresses_set) if addresses_set is not None else []:
            tags = {}
            tag_set = _child(item, "tagSet")
            for tag in list(tag_set) if tag_set is not None else []:
                tags[_text(tag, "key")] = _text(tag, "value")
            index = tags.get(INDEX_TAG) or ""
            found.append(dict(allocation_id=_text(item, "allocationId"), public_ip=_text(item, "publicIp"),
                              instance_id=_text(item, "instanceId") or None,
                              index=int(index) if index.isdigit() else None))
        return found

    def associate(self, allocation_id, instance_id):
        self.call("AssociateAddress", [("AllocationId", allocation_id), ("InstanceId", instance_id),
                                       ("AllowReassociation", "false")])


def claim(client, deployment, name, instance_id):
    """The public address of the set's Elastic IP this instance holds, associating one if needed.

    Returns ``(public_ip, changed)``; raises ElasticIpError when every address is taken.
    """
    addresses = client.addresses(deployment, name)
    for address in addresses:
        if address["instance_id"] == instance_id:
            return address["public_ip"], False
    free = sorted((a for a in addresses if not a["instance_id"] and a["index"] is not None),
                  key=lambda a: (a["index"], a["allocation_id"]))
    for address in free:
        try:
            client.associate(address["allocation_id"], instance_id)
        except ElasticIpError as exc:
            if exc.code in TAKEN:
                continue
            raise
        return address["public_ip"], True
    raise ElasticIpError("no free address in Elastic IP set %s of deployment %s (%d address(es), all held by "
                         "other instances): raise its count (aws_elastic_ips) to the group's maximum"
                         % (name, deployment, len(addresses)), "NoFreeAddress")


def claim_with_metadata(source, deployment, name, endpoint=None, timeout=5, opener=None, deadline_seconds=120,
                        sleep=time.sleep, clock=time.monotonic):
    """``claim`` for this instance: id, region and credentials from the metadata ``source``.

    Transient failures (``RETRYABLE``, HTTP 5xx) are retried with a growing delay until
    ``deadline_seconds`` have passed; the credentials are read again before each attempt.
    """
    instance_id = source.get("instance-id")
    region = source.get("region")
    give_up = clock() + deadline_seconds
    delay = 1.0
    while True:
        client = Ec2Client(endpoint or default_endpoint(region), region, instance_credentials(source),
                           timeout=timeout, opener=opener)
        try:
            return claim(client, deployment, name, instance_id)
        except ElasticIpError as exc:
            transient = exc.code in RETRYABLE or (exc.code or "").startswith("HTTP5")
            if not transient or clock() + delay > give_up:
                raise
        sleep(delay)
        delay = min(delay * 2, 15.0)


def add_parser(commands):
    """The ``elastic-ip`` command of ``streamfleet-boot`` (boot/cli.py)."""
    parser = commands.add_parser("elastic-ip", help="claim this instance's reserved Elastic IP; print its address")
    parser.add_argument("--deployment", required=True, help="value of the streamfleet:deployment tag")
    parser.add_argument("--set", dest="set_name", required=True, help="value of the streamfleet:elastic-ip-set tag")
    parser.add_argument("--metadata-endpoint", help="metadata service URL (default: the cloud's own)")
    parser.add_argument("--ec2-endpoint", help="EC2 API URL (default: the region's own)")
    parser.add_argument("--deadline", type=float, default=120.0,
                        help="seconds to keep retrying transient failures (default 120)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per request")
    parser.set_defaults(func=cmd_elastic_ip)


def cmd_elastic_ip(args, out, err):
    from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.metadata import (
        MetadataError,
        metadata_source,
    )
    try:
        source = metadata_source("aws", endpoint=args.metadata_endpoint, timeout=args.timeout)
        address, changed = claim_with_metadata(source, args.deployment, args.set_name, endpoint=args.ec2_endpoint,
                                               timeout=args.timeout, deadline_seconds=args.deadline)
    except (ElasticIpError, MetadataError) as exc:
        err.write("streamfleet-boot: error: %s\n" % exc)
        return 1
    how = "associated with this instance" if changed else "already this instance's"
    err.write("streamfleet-boot: Elastic IP %s %s\n" % (address, how))
    out.write(address + "\n")
    return 0
