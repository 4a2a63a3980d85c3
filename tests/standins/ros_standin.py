"""Local stand-in for the Alibaba Cloud ROS (Resource Orchestration Service) API, 2019-09-10.

It answers the RPC-style calls the official Python SDK (alibabacloud_ros20190910 on
alibabacloud_tea_openapi) sends: POST / with the action in the ``x-acs-action`` header,
parameters in the query string and the template body as a form field. Every request must carry
a valid ACS3-HMAC-SHA256 signature for a known access key; the check is written from the
published V3 signature description, not from the SDK:

    CanonicalRequest = METHOD \\n URI \\n sorted, RFC 3986-encoded query \\n
                       "name:value\\n" for each signed header \\n signed header names \\n
                       hex(sha256(body))
    StringToSign     = "ACS3-HMAC-SHA256\\n" + hex(sha256(CanonicalRequest))
    Signature        = hex(hmac_sha256(secret, StringToSign))

Stacks move CREATE_IN_PROGRESS -> CREATE_COMPLETE (and UPDATE_/DELETE_ likewise) after a
configurable number of GetStack polls. Supported: CreateStack, GetStack, ListStacks,
UpdateStack, PreviewStack, ListStackResources, GetTemplate, DeleteStack, ValidateTemplate.

Every template (CreateStack, UpdateStack, PreviewStack, ValidateTemplate) is checked against the
documented schema of each resource type (tests/standins/ros_schema.py: property names, required
properties, types, allowed values, ranges, Fn::GetAtt attributes) and refused as ROS refuses it:
HTTP 400, ``StackValidationFailed``, ``Stack validation failed: <resource and property>``.

Test control (unsigned, under /_standin/): POST /_standin/fail with JSON
{"stack_name": ..., "resource": ..., "reason": ...} makes the next create or update of that
stack fail at that resource; GET /_standin/stacks lists what exists (with the NoEcho parameter
names); POST /_standin/resolve with JSON {"stack_name": ..., "resource": ..., "property": ...}
answers that property of a live stack's resource with the template functions applied (Ref,
Fn::GetAtt, Fn::Join, Fn::Replace, Fn::Select), e.g. the user data an instance would get; POST
/_standin/reset.
No test marker in a template triggers a failure, so production templates carry none. What
real ROS would fail at run time fails here too where the stand-in can know it: the image data
source (DATASOURCE::ECS::Images) answers from a small documented catalogue of public images
(IMAGE_CATALOGUE, newest first), and an ECS instance whose ImageId comes out empty (an unknown
family) fails its create with ECS's InvalidImageId.NotFound, the stack rolling back.

What it does NOT check (docs/alicloud.md): quotas, real ids, whether referenced objects exist,
ordering/dependencies, values computed by functions, stack policies, RAM permissions, the V1
(HMAC-SHA1) signature.

Scaling groups' instances (issue #18): the same server, with the same signature check, also
answers two read calls of other products, each under its own API version:
ESS DescribeScalingInstances, 2014-08-28
(https://www.alibabacloud.com/help/en/auto-scaling/developer-reference/api-ess-2014-08-28-describescalinginstances)
and ECS DescribeInstances, 2014-05-26
(https://www.alibabacloud.com/help/en/ecs/developer-reference/api-ecs-2014-05-26-describeinstances),
in their documented JSON shapes (RequestId, TotalCount, PageNumber, PageSize,
ScalingInstances.ScalingInstance[], Instances.Instance[] with VpcAttributes.PrivateIpAddress,
PublicIpAddress and EipAddress). When a stack with ALIYUN::ESS::ScalingGroup resources reaches
CREATE_COMPLETE or UPDATE_COMPLETE, each group holds DesiredCapacity instances when the template
sets it, else MinSize on create and its current count kept within MinSize..MaxSize on update
(instances leave oldest first, as the template's RemovalPolicys OldestInstance asks). They are
InService and Healthy at once, spread over the group's vSwitches in turn, with private addresses
taken in order from each vSwitch's CidrBlock (from the 10th address; addresses stay with an
instance across updates), a public address only when the launch template's
InternetMaxBandwidthOut is above 0, and no Elastic IP. They go with their group or stack.
What this cannot show: real launches (quotas, stock, images, boot failures), health (every
instance is Running and Healthy), scaling activities (alarms, scheduled tasks, lifecycle hooks:
instances appear and leave at once), Pending/Removing states, attached instances.

Run: python tests/standins/ros_standin.py --port 18080
     [--access-key-id ID --access-key-secret SECRET --progress-polls 2]
"""
import argparse
import copy
import fnmatch
import hashlib
import hmac
import ipaddress
import json
import sys
import threading
import time
import uuid
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

import yaml

try:  # imported as tests/standins/... by the unit tests, run as a script by the fixtures
    from standins.ros_schema import SchemaError, validate_template
except ImportError:
    from ros_schema import SchemaError, validate_template

DEFAULT_ACCESS_KEY_ID = "STANDINAKID0000000000"
DEFAULT_ACCESS_KEY_SECRET = "standin-secret-not-a-real-key"
ALGORITHM = "ACS3-HMAC-SHA256"
REQUIRED_SIGNED_HEADERS = ("host", "x-acs-action", "x-acs-version", "x-acs-date",
                           "x-acs-signature-nonce", "x-acs-content-sha256")
API_VERSION = "2019-09-10"
MAX_CLOCK_SKEW = 15 * 60
PSEUDO_PARAMETERS = ("ALIYUN::StackId", "ALIYUN::StackName", "ALIYUN::Region",
                     "ALIYUN::AccountId", "ALIYUN::NoValue", "ALIYUN::TenantId")


class ApiError(Exception):
    def __init__(self, status, code, message):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def rfc3986(text):
    return quote(text, safe="~")


def canonical_query(pairs):
    encoded = sorted((rfc3986(k), rfc3986(v)) for k, v in pairs)
    return "&".join("%s=%s" % kv for kv in encoded)


def expected_signature(secret, method, path, query_pairs, headers, signed_names, body):
    canonical_headers = "".join("%s:%s\n" % (name, headers.get(name, "").strip()) for name in signed_names)
    canonical_request = "\n".join([
        method, path or "/", canonical_query(query_pairs), canonical_headers,
        ";".join(signed_names), hashlib.sha256(body).hexdigest(),
    ])
    string_to_sign = ALGORITHM + "\n" + hashlib.sha256(canonical_request.encode("utf-8")).hexdigest()
    return hmac.new(secret.encode("utf-8"), string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()


def parse_authorization(value):
    if not value or not value.startswith(ALGORITHM + " "):
        raise ApiError(400, "IncompleteSignature", "Authorization must use %s" % ALGORITHM)
    fields = {}
    for part in value[len(ALGORITHM) + 1:].split(","):
        key, _sep, val = part.strip().partition("=")
        fields[key] = val
    if not all(fields.get(k) for k in ("Credential", "SignedHeaders", "Signature")):
        raise ApiError(400, "IncompleteSignature", "Authorization lacks Credential/SignedHeaders/Signature")
    return fields


def parse_template(body):
    if not body:
        raise ApiError(400, "InvalidTemplate", "TemplateBody is empty")
    try:
        doc = json.loads(body)
    except ValueError:
        try:
            doc = yaml.safe_load(body)
        except yaml.YAMLError as exc:
            raise ApiError(400, "InvalidTemplate", "template is neither JSON nor YAML: %s" % exc)
    if not isinstance(doc, dict) or "ROSTemplateFormatVersion" not in doc:
        raise ApiError(400, "InvalidTemplate", "ROSTemplateFormatVersion is missing")
    resources = doc.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise ApiError(400, "InvalidTemplate", "Resources must be a non-empty mapping")
    params = doc.get("Parameters") or {}
    for name, res in resources.items():
        if not isinstance(res, dict) or not str(res.get("Type", "")).startswith(("ALIYUN::", "DATASOURCE::")):
            raise ApiError(400, "InvalidTemplate", "resource %s has no valid Type" % name)
    for target in _refs(doc.get("Resources")) | _refs(doc.get("Outputs")):
        if target not in resources and target not in params and target not in PSEUDO_PARAMETERS:
            raise ApiError(400, "StackValidationFailed", "unresolved reference to %s" % target)
    try:
        validate_template(doc)
    except SchemaError as err:
        # Code and message shape of ROS's public error codes page (StackValidationFailed, 400).
        raise ApiError(400, "StackValidationFailed", "Stack validation failed: %s" % err.reason)
    return doc


def _refs(node):
    found = set()
    if isinstance(node, dict):
        for key, val in node.items():
            if key == "Ref" and isinstance(val, str):
                found.add(val)
            elif key == "Fn::GetAtt" and isinstance(val, list) and val:
                found.add(val[0])
            else:
                found |= _refs(val)
    elif isinstance(node, list):
        for item in node:
            found |= _refs(item)
    return found


def evaluate(node, ref, getatt):
    """Value of a template node with ROS's functions applied (the ones our templates use).

    ``ref(name)`` answers Ref, ``getatt(logical, attribute)`` answers Fn::GetAtt. Written from
    Alibaba's ROS function reference: Fn::Join
    (https://www.alibabacloud.com/help/en/ros/user-guide/function-join) joins the values of a
    list with a delimiter; Fn::Replace
    (https://www.alibabacloud.com/help/en/ros/user-guide/function-replace) takes
    ``[{old: new, ...}, string]`` and replaces every occurrence of each old substring with its
    new value; Fn::Select (https://www.alibabacloud.com/help/en/ros/user-guide/function-select)
    takes ``[index, list, default]``: the element at the index (0..N-1, or -N..-1 from the end),
    and for an index out of range the default if one is given, else an empty string. (Its
    ``start:stop:step`` and map forms are not needed by our templates and not evaluated.)
    Anything else evaluates to its JSON text, as before.
    """
    if isinstance(node, dict) and len(node) == 1:
        (key, val), = node.items()
        if key == "Ref":
            return ref(val)
        if key == "Fn::GetAtt":
            return getatt(val[0], val[1])
        if key == "Fn::Select" and isinstance(val, list) and len(val) in (2, 3):
            index = int(evaluate(val[0], ref, getatt))
            items = evaluate(val[1], ref, getatt) if isinstance(val[1], dict) else [
                evaluate(item, ref, getatt) for item in val[1]]
            if isinstance(items, list) and -len(items) <= index < len(items):
                return items[index]
            return evaluate(val[2], ref, getatt) if len(val) == 3 else ""
        if key == "Fn::Join":
            return val[0].join(str(evaluate(v, ref, getatt)) for v in val[1])
        if key == "Fn::Replace":
            replacements, text = val
            result = str(evaluate(text, ref, getatt))
            for old, new in replacements.items():
                result = result.replace(old, str(evaluate(new, ref, getatt)))
            return result
    if isinstance(node, (dict, list)):
        return json.dumps(node, sort_keys=True)
    return node


# The public images the stand-in's DATASOURCE::ECS::Images finds: a small catalogue written by us
# from image records ECS's DescribeImages answers (ImageId, ImageFamily, OSType, Architecture,
# ImageOwnerAlias, Status, CreationTime as that API names them; public images are ImageOwnerAlias
# "system"). ubuntu_24_04_x64_20G_alibase_20260810.vhd: a DescribeImages record read 2026-12-07
# (CreationTime 2026-08-13T01:49:37Z); the other two ids follow Alibaba's public naming
# (<os>_<version>_x64_20G_alibase_<date>.vhd), their creation times are the date in the name.
# Not a copy of Alibaba's list: real regions hold more images and families, and other ids.
IMAGE_CATALOGUE = [
    {"ImageId": "ubuntu_24_04_x64_20G_alibase_20260916.vhd", "ImageFamily": "acs:ubuntu_24_04_x64",
     "CreationTime": "2026-09-16T00:00:00Z"},
    {"ImageId": "ubuntu_24_04_x64_20G_alibase_20260810.vhd", "ImageFamily": "acs:ubuntu_24_04_x64",
     "CreationTime": "2026-08-13T01:49:37Z"},
    {"ImageId": "ubuntu_22_04_x64_20G_alibase_20240130.vhd", "ImageFamily": "acs:ubuntu_22_04_x64",
     "CreationTime": "2024-01-30T00:00:00Z"},
]
for _image in IMAGE_CATALOGUE:
    _image.update(ImageName=_image["ImageId"], OSType="linux", Architecture="x86_64", ImageOwnerAlias="system",
                  Status="Available", IsPublic=True)
# Two custom images of the account (ImageOwnerAlias "self", not public) in the family an operator
# bakes the mongodb role into: what the MongoDB boot path needs (the sandbox, the example
# inventory and the benchmark name this family). Ids in ECS's custom image form (m-...).
IMAGE_CATALOGUE += [
    {"ImageId": "m-streamfleetmongodb0002", "ImageFamily": "streamfleet-mongodb",
     "CreationTime": "2026-11-30T10:00:00Z"},
    {"ImageId": "m-streamfleetmongodb0001", "ImageFamily": "streamfleet-mongodb",
     "CreationTime": "2026-10-02T10:00:00Z"},
]
for _image in IMAGE_CATALOGUE[-2:]:
    _image.update(ImageName="streamfleet-mongodb-" + _image["CreationTime"][:10], OSType="linux",
                  Architecture="x86_64", ImageOwnerAlias="self", Status="Available", IsPublic=False)


def find_images(properties):
    """DATASOURCE::ECS::Images over IMAGE_CATALOGUE: the matching images, newest first.

    Filters as the ROS page (datasource-ecs-images) describes them: ImageFamily, ImageId, OSType,
    Architecture exact; ImageName with * wildcards; Status a comma-separated list, default
    Available; ImageOwnerAlias default system, self and others (marketplace only when asked).
    The order is the ECS image family's: the latest image is the one created last ("Image family"
    overview, https://www.alibabacloud.com/help/en/ecs/user-guide/overview-37), and a template takes
    the first id (ROS user guide "Data source resources"). Properties the catalogue cannot answer
    (InstanceType, Usage, Tags, ...) do not filter. An unknown family matches nothing: an empty list.
    """
    statuses = [v.strip() for v in str(properties.get("Status") or "Available").split(",")]
    owners = [properties["ImageOwnerAlias"]] if properties.get("ImageOwnerAlias") else ["system", "self", "others"]
    found = []
    for image in IMAGE_CATALOGUE:
        if image["Status"] not in statuses or image["ImageOwnerAlias"] not in owners:
            continue
        if any(key in properties and str(properties[key]) != image[key]
               for key in ("ImageFamily", "ImageId", "OSType", "Architecture")):
            continue
        if "ImageName" in properties and not fnmatch.fnmatchcase(image["ImageName"], str(properties["ImageName"])):
            continue
        found.append(dict(image))
    return sorted(found, key=lambda image: image["CreationTime"], reverse=True)


def indexed_list(params, prefix, fields):
    """Collect Prefix.N.Field entries into a list of dicts ordered by N."""
    items = {}
    for key, value in params.items():
        if not key.startswith(prefix + "."):
            continue
        parts = key[len(prefix) + 1:].split(".")
        if not parts[0].isdigit():
            continue
        index = int(parts[0])
        if len(parts) == 1:
            items[index] = value
        elif parts[1] in fields:
            items.setdefault(index, {})[parts[1]] = value
    return [items[i] for i in sorted(items)]


def now_text():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


class RosState:
    def __init__(self, access_keys, progress_polls):
        self.access_keys = access_keys
        self.progress_polls = progress_polls
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.stacks = {}
        self.failures = {}
        self.nonces = {}
        self.calls = []
        # Instances of the stacks' scaling groups: instance id -> record (see _place_instances).
        self.instances = {}

    # -- helpers ---------------------------------------------------------------------------
    def _stack(self, params, region):
        stack = self.stacks.get(params.get("StackId", ""))
        if stack is None or stack["RegionId"] != region or stack["deleted"]:
            raise ApiError(404, "StackNotFound", "The Stack (%s) could not be found." % params.get("StackId"))
        return stack

    @staticmethod
    def _resolve_parameters(doc, given, stack_id, name, region):
        declared = doc.get("Parameters") or {}
        unknown = sorted(set(given) - set(declared))
        if unknown:
            raise ApiError(400, "StackValidationFailed", "unknown parameters: %s" % ", ".join(unknown))
        values = {}
        for key, spec in declared.items():
            if key in given:
                values[key] = given[key]
            elif isinstance(spec, dict) and "Default" in spec:
                values[key] = spec["Default"] if isinstance(spec["Default"], str) else json.dumps(spec["Default"])
            else:
                raise ApiError(400, "StackValidationFailed", "parameter %s has no value" % key)
            allowed = spec.get("AllowedValues") if isinstance(spec, dict) else None
            if allowed and values[key] not in [str(a) for a in allowed]:
                raise ApiError(400, "StackValidationFailed", "parameter %s not in AllowedValues" % key)
        return values

    @staticmethod
    def _physical_id(stack_id, logical, rtype):
        # Scaling group ids as ESS documents them (asg-bp1igpak5ft1flyp****): modules check the shape.
        prefix = "asg" if rtype == "ALIYUN::ESS::ScalingGroup" else rtype.split("::")[-1].lower()[:8]
        return "%s-%s" % (prefix, hashlib.sha1(("%s/%s" % (stack_id, logical)).encode()).hexdigest()[:16])

    def _images(self, stack, logical):
        """What a DATASOURCE::ECS::Images resource of the stack finds, its properties evaluated."""
        props = stack["template"]["Resources"][logical].get("Properties") or {}
        return find_images({key: self._evaluate(stack, value) for key, value in props.items()})

    def _attribute(self, stack, logical, attribute):
        resource = stack["template"]["Resources"].get(logical, {})
        if resource.get("Type") == "DATASOURCE::ECS::Images":
            images = self._images(stack, logical)
            return [image["ImageId"] for image in images] if attribute == "ImageIds" else images
        phys = stack["resources"].get(logical, {}).get("PhysicalResourceId", logical)
        digest = hashlib.sha1(("%s.%s" % (phys, attribute)).encode()).digest()
        if attribute in ("PrivateIp", "PrivateIpAddress"):
            return "10.0.%d.%d" % (digest[0] % 2, 10 + digest[1] % 200)
        if attribute in ("EipAddress", "PublicIp"):
            return "203.0.113.%d" % (10 + digest[1] % 200)
        if attribute == "DNSName":
            return "%s.%s.alb.aliyuncs.com" % (phys, stack["RegionId"])
        if attribute.endswith("Id"):
            return phys
        return "%s.%s" % (phys, attribute)

    def _evaluate(self, stack, node):
        return evaluate(node, lambda name: self._ref(stack, name),
                        lambda logical, attribute: self._attribute(stack, logical, attribute))

    def _ref(self, stack, name):
        if name in stack["parameters"]:
            return stack["parameters"][name]
        if name == "ALIYUN::StackId":
            return stack["StackId"]
        if name == "ALIYUN::StackName":
            return stack["StackName"]
        if name == "ALIYUN::Region":
            return stack["RegionId"]
        if stack["template"]["Resources"].get(name, {}).get("Type") == "DATASOURCE::ECS::Images":
            # Ref of the image data source is its list of image ids (ROS "Data source resources").
            return [image["ImageId"] for image in self._images(stack, name)]
        return stack["resources"].get(name, {}).get("PhysicalResourceId", name)

    def _apply(self, stack, verb):
        """Finish a create/update: build resources and outputs, or fail as the test asked."""
        doc = stack["template"]
        failure = self.failures.pop(stack["StackName"], None)
        previous = stack["resources"]
        stack["resources"] = {}
        for logical, res in doc["Resources"].items():
            old = previous.get(logical)
            stack["resources"][logical] = {
                "LogicalResourceId": logical,
                "PhysicalResourceId": old["PhysicalResourceId"] if old else self._physical_id(stack["StackId"], logical, res["Type"]),
                "ResourceType": res["Type"],
                "Status": verb + "_COMPLETE",
                "StatusReason": "state changed",
                "CreateTime": old["CreateTime"] if old else now_text(),
                "UpdateTime": now_text(),
                "StackId": stack["StackId"],
                "StackName": stack["StackName"],
            }
        failure = failure or self._instance_without_image(stack)
        if failure:
            logical = failure.get("resource") or next(iter(doc["Resources"]))
            reason = failure.get("reason") or "simulated failure"
            target = stack["resources"].setdefault(logical, {
                "LogicalResourceId": logical, "PhysicalResourceId": "", "ResourceType": "ALIYUN::ROS::Unknown",
                "StackId": stack["StackId"], "StackName": stack["StackName"], "CreateTime": now_text(),
            })
            target["Status"] = verb + "_FAILED"
            target["StatusReason"] = reason
            summary = "Resource %s failed because of %s" % (logical, reason)
            if stack["DisableRollback"]:
                stack["Status"] = verb + "_FAILED"
            else:
                stack["Status"] = "ROLLBACK_COMPLETE" if verb == "CREATE" else "UPDATE_ROLLBACK_COMPLETE"
            stack["StatusReason"] = summary
            stack["outputs"] = []
            return
        stack["Status"] = verb + "_COMPLETE"
        stack["StatusReason"] = "Stack %s completed successfully" % verb
        self._place_instances(stack, verb)
        stack["outputs"] = [
            {"OutputKey": key, "OutputValue": self._evaluate(stack, out.get("Value")),
             "Description": out.get("Description", "")}
            for key, out in (doc.get("Outputs") or {}).items()
        ]

    def _instance_without_image(self, stack):
        """The first ECS instance whose ImageId comes out empty, as a failure; else None.

        ROS validates the template before it runs, so an image looked up at run time (an empty
        family: Fn::Select gives "") fails only when ECS is asked for the instance. ECS's error
        code for an image it does not have is InvalidImageId.NotFound, "The specified ImageId does
        not exist." (ECS API error codes of CreateInstance/RunInstances); the surrounding wording of
        the reason is ours.
        """
        for logical, res in stack["template"]["Resources"].items():
            if res["Type"] != "ALIYUN::ECS::Instance":
                continue
            image = self._evaluate(stack, (res.get("Properties") or {}).get("ImageId", ""))
            if not image:
                return {"resource": logical, "reason": "InvalidImageId.NotFound: The specified ImageId does not "
                        "exist. (ImageId is empty: no image matched the lookup it is taken from)"}
        return None

    # -- scaling groups' instances -------------------------------------------------------------
    @staticmethod
    def _logical_target(node):
        """The logical name a {Fn::GetAtt: [X, ...]} or {Ref: X} node points at, else None."""
        if isinstance(node, dict) and len(node) == 1:
            (key, val), = node.items()
            if key == "Fn::GetAtt" and isinstance(val, list) and val:
                return val[0]
            if key == "Ref" and isinstance(val, str):
                return val
        return None

    def _group_vswitches(self, stack, props):
        """[(vSwitch id, zone, CIDR)] of a scaling group, from its VSwitchIds (or VSwitchId)."""
        nodes = props.get("VSwitchIds") or ([props["VSwitchId"]] if props.get("VSwitchId") else [])
        found = []
        for node in nodes:
            logical = self._logical_target(node)
            vsw = stack["template"]["Resources"].get(logical or "", {}).get("Properties") or {}
            found.append((str(self._evaluate(stack, node)),
                          str(self._evaluate(stack, vsw.get("ZoneId", stack["RegionId"] + "-a"))),
                          str(self._evaluate(stack, vsw.get("CidrBlock", "10.0.0.0/24")))))
        return found or [("vsw-standin", stack["RegionId"] + "-a", "10.0.0.0/24")]

    def _launch_bandwidth(self, stack, props):
        logical = self._logical_target(props.get("LaunchTemplateId"))
        template = stack["template"]["Resources"].get(logical or "", {}).get("Properties") or {}
        try:
            return int(self._evaluate(stack, template.get("InternetMaxBandwidthOut", 0)) or 0)
        except (TypeError, ValueError):
            return 0

    def _wanted_count(self, stack, props, current, verb):
        def number(key, default):
            value = props.get(key)
            return default if value is None else int(self._evaluate(stack, value))
        low, high = number("MinSize", 0), number("MaxSize", 0)
        desired = number("DesiredCapacity", None)
        if desired is not None:
            return desired
        return low if verb == "CREATE" else max(low, min(high, current))

    def _free_address(self, cidr, used):
        network = ipaddress.ip_network(cidr, strict=False)
        # From the 10th address on: the first and the last three of a vSwitch are the system's.
        for offset in range(10, network.num_addresses - 3):
            address = str(network.network_address + offset)
            if address not in used:
                return address
        raise ApiError(400, "InvalidVSwitchId.IpNotEnough", "The specified VSwitch has not enough IpAddress.")

    def _place_instances(self, stack, verb):
        """Bring each scaling group of the stack to its wanted count (see the header)."""
        groups = {}
        for logical, res in stack["template"]["Resources"].items():
            if res["Type"] == "ALIYUN::ESS::ScalingGroup":
                groups[stack["resources"][logical]["PhysicalResourceId"]] = (logical, res.get("Properties") or {})
        for instance_id, record in list(self.instances.items()):
            if record["StackId"] == stack["StackId"] and record["ScalingGroupId"] not in groups:
                del self.instances[instance_id]
        used = {r["PrivateIp"] for r in self.instances.values() if r["StackId"] == stack["StackId"]}
        for group_id, (logical, props) in sorted(groups.items()):
            members = sorted((r for r in self.instances.values() if r["ScalingGroupId"] == group_id),
                             key=lambda r: r["serial"])
            wanted = self._wanted_count(stack, props, len(members), verb)
            for record in members[:max(0, len(members) - wanted)]:  # oldest first
                del self.instances[record["InstanceId"]]
                used.discard(record["PrivateIp"])
            vswitches = self._group_vswitches(stack, props)
            bandwidth = self._launch_bandwidth(stack, props)
            newest = max([r["serial"] for r in members] + [0])
            for serial in range(newest + 1, newest + 1 + wanted - len(members)):
                vswitch_id, zone, cidr = vswitches[(serial - 1) % len(vswitches)]
                digest = hashlib.sha1(("%s/%d" % (group_id, serial)).encode()).hexdigest()
                address = self._free_address(cidr, used)
                used.add(address)
                instance_id = "i-" + digest[:20]
                self.instances[instance_id] = {
                    "InstanceId": instance_id, "ScalingGroupId": group_id, "StackId": stack["StackId"],
                    "RegionId": stack["RegionId"], "serial": serial, "ZoneId": zone, "VSwitchId": vswitch_id,
                    "VpcId": str(self._evaluate(stack, {"Fn::GetAtt": ["Vpc", "VpcId"]}))
                    if "Vpc" in stack["template"]["Resources"] else "vpc-standin",
                    "PrivateIp": address,
                    "PublicIp": "198.51.100.%d" % (1 + int(digest[20:24], 16) % 254) if bandwidth > 0 else None,
                    "InstanceName": str(self._evaluate(stack, props.get("ScalingGroupName", logical))),
                    "CreationTime": now_text()[:16] + "Z",
                }

    def _remove_instances(self, stack_id):
        for instance_id in [i for i, r in self.instances.items() if r["StackId"] == stack_id]:
            del self.instances[instance_id]

    @staticmethod
    def _page(params, default_size, max_size):
        try:
            number = int(params.get("PageNumber") or 1)
            size = int(params.get("PageSize") or default_size)
        except ValueError:
            raise ApiError(400, "InvalidParameter", "PageNumber and PageSize must be integers.")
        if number < 1 or not 1 <= size <= max_size:
            # The stand-in's wording: the pages document the ranges, not the error text.
            raise ApiError(400, "InvalidParameter", "PageNumber must be >= 1 and PageSize 1 to %d." % max_size)
        return number, size

    def describe_scaling_instances(self, params, region):
        """ESS DescribeScalingInstances (2014-08-28): filters ScalingGroupId, LifecycleState,
        HealthStatus, CreationType; PageSize at most 50, default 10."""
        number, size = self._page(params, 10, 50)
        found = [r for r in sorted(self.instances.values(), key=lambda r: (r["ScalingGroupId"], r["serial"]))
                 if r["RegionId"] == region and params.get("ScalingGroupId", r["ScalingGroupId"]) == r["ScalingGroupId"]
                 and params.get("LifecycleState", "InService") == "InService"
                 and params.get("HealthStatus", "Healthy") == "Healthy"
                 and params.get("CreationType", "AutoCreated") == "AutoCreated"]
        page = found[(number - 1) * size:number * size]
        return {"TotalCount": len(found), "PageNumber": number, "PageSize": size, "TotalSpotCount": 0,
                "ScalingInstances": {"ScalingInstance": [{
                    "InstanceId": r["InstanceId"], "ScalingGroupId": r["ScalingGroupId"],
                    "LifecycleState": "InService", "HealthStatus": "Healthy", "CreationType": "AutoCreated",
                    "CreationTime": r["CreationTime"], "ZoneId": r["ZoneId"], "WarmupState": "NoNeedWarmup",
                    "Entrusted": False} for r in page]}}

    def describe_instances(self, params, region):
        """ECS DescribeInstances (2014-05-26): InstanceIds a JSON array of at most 100 ids;
        PageSize at most 100, default 10."""
        number, size = self._page(params, 10, 100)
        wanted = None
        if "InstanceIds" in params:
            try:
                wanted = json.loads(params["InstanceIds"])
            except ValueError:
                wanted = None
            if not isinstance(wanted, list) or len(wanted) > 100:
                raise ApiError(400, "InvalidInstanceIds.Malformed", "The specified parameter InstanceIds is not valid.")
        found = [r for r in sorted(self.instances.values(), key=lambda r: r["InstanceId"])
                 if r["RegionId"] == region and (wanted is None or r["InstanceId"] in wanted)]
        page = found[(number - 1) * size:number * size]
        return {"TotalCount": len(found), "PageNumber": number, "PageSize": size, "Instances": {"Instance": [{
            "InstanceId": r["InstanceId"], "InstanceName": r["InstanceName"], "RegionId": r["RegionId"],
            "ZoneId": r["ZoneId"], "Status": "Running", "InstanceNetworkType": "vpc",
            "CreationTime": r["CreationTime"],
            "VpcAttributes": {"VpcId": r["VpcId"], "VSwitchId": r["VSwitchId"], "NatIpAddress": "",
                              "PrivateIpAddress": {"IpAddress": [r["PrivateIp"]]}},
            "PublicIpAddress": {"IpAddress": [r["PublicIp"]] if r["PublicIp"] else []},
            "InnerIpAddress": {"IpAddress": []},
            "EipAddress": {"IpAddress": "", "AllocationId": "", "InternetChargeType": ""},
        } for r in page]}}

    def _advance(self, stack):
        if not stack["Status"].endswith("_IN_PROGRESS"):
            return
        stack["polls_left"] -= 1
        if stack["polls_left"] > 0:
            return
        verb = stack["Status"][:-len("_IN_PROGRESS")]
        if verb == "DELETE":
            stack["deleted"] = True
            self._remove_instances(stack["StackId"])
            stack["Status"] = "DELETE_COMPLETE"
            return
        self._apply(stack, verb)

    def _public(self, stack):
        params = [{"ParameterKey": k, "ParameterValue": "******" if k in stack["no_echo"] else v}
                  for k, v in sorted(stack["parameters"].items())]
        params += [
            {"ParameterKey": "ALIYUN::StackId", "ParameterValue": stack["StackId"]},
            {"ParameterKey": "ALIYUN::StackName", "ParameterValue": stack["StackName"]},
            {"ParameterKey": "ALIYUN::Region", "ParameterValue": stack["RegionId"]},
            {"ParameterKey": "ALIYUN::AccountId", "ParameterValue": "1234567890123456"},
            {"ParameterKey": "ALIYUN::NoValue", "ParameterValue": "None"},
        ]
        return {
            "StackId": stack["StackId"], "StackName": stack["StackName"], "RegionId": stack["RegionId"],
            "Status": stack["Status"], "StatusReason": stack["StatusReason"],
            "DisableRollback": stack["DisableRollback"], "TimeoutInMinutes": stack["TimeoutInMinutes"],
            "CreateTime": stack["CreateTime"], "UpdateTime": stack["UpdateTime"],
            "Parameters": params, "Outputs": stack["outputs"],
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(stack["tags"].items())],
            "Description": stack["template"].get("Description", ""),
        }

    @staticmethod
    def _given_parameters(params):
        return {p["ParameterKey"]: p.get("ParameterValue", "")
                for p in indexed_list(params, "Parameters", ("ParameterKey", "ParameterValue"))}

    # -- actions ---------------------------------------------------------------------------
    def create_stack(self, params, region):
        name = params.get("StackName")
        if not name:
            raise ApiError(400, "MissingStackName", "StackName is mandatory for this action.")
        if any(s["StackName"] == name and s["RegionId"] == region and not s["deleted"] for s in self.stacks.values()):
            raise ApiError(409, "StackExists", "The Stack (%s) already exists." % name)
        doc = parse_template(params.get("TemplateBody"))
        stack_id = str(uuid.uuid4())
        values = self._resolve_parameters(doc, self._given_parameters(params), stack_id, name, region)
        self.stacks[stack_id] = {
            "StackId": stack_id, "StackName": name, "RegionId": region, "Status": "CREATE_IN_PROGRESS",
            "StatusReason": "Stack CREATE started", "template": doc, "template_body": params["TemplateBody"],
            "parameters": values, "no_echo": self._no_echo(doc),
            "tags": {t["Key"]: t.get("Value", "") for t in indexed_list(params, "Tags", ("Key", "Value"))},
            "DisableRollback": params.get("DisableRollback", "false").lower() == "true",
            "TimeoutInMinutes": int(params.get("TimeoutInMinutes", "60")),
            "CreateTime": now_text(), "UpdateTime": now_text(), "resources": {}, "outputs": [],
            "polls_left": self.progress_polls, "deleted": False,
        }
        return {"StackId": stack_id}

    @staticmethod
    def _no_echo(doc):
        return {k for k, v in (doc.get("Parameters") or {}).items()
                if isinstance(v, dict) and str(v.get("NoEcho", "")).lower() == "true"}

    def get_stack(self, params, region):
        stack = self._stack(params, region)
        self._advance(stack)
        if stack["deleted"]:
            raise ApiError(404, "StackNotFound", "The Stack (%s) could not be found." % stack["StackId"])
        return self._public(stack)

    def list_stacks(self, params, region):
        names = set(indexed_list(params, "StackName", ()))
        found = [self._public(s) for s in self.stacks.values()
                 if s["RegionId"] == region and not s["deleted"] and (not names or s["StackName"] in names)]
        return {"Stacks": found, "TotalCount": len(found), "PageNumber": 1, "PageSize": 50}

    def update_stack(self, params, region):
        stack = self._stack(params, region)
        if not stack["Status"].endswith("_COMPLETE") or "ROLLBACK" in stack["Status"]:
            raise ApiError(400, "StackStatusMismatch",
                           "The Stack (%s) status %s cannot be updated." % (stack["StackName"], stack["Status"]))
        body = params.get("TemplateBody") or stack["template_body"]
        doc = parse_template(body)
        given = self._given_parameters(params)
        values = self._resolve_parameters(doc, given, stack["StackId"], stack["StackName"], region)
        if doc == stack["template"] and values == stack["parameters"]:
            raise ApiError(400, "NotSupported", "Update the completely same stack is not supported.")
        stack.update(template=doc, template_body=body, parameters=values, no_echo=self._no_echo(doc),
                     Status="UPDATE_IN_PROGRESS", StatusReason="Stack UPDATE started",
                     UpdateTime=now_text(), polls_left=self.progress_polls)
        if "DisableRollback" in params:
            stack["DisableRollback"] = params["DisableRollback"].lower() == "true"
        for tag in indexed_list(params, "Tags", ("Key", "Value")):
            stack["tags"][tag["Key"]] = tag.get("Value", "")
        return {"StackId": stack["StackId"]}

    def preview_stack(self, params, region):
        doc = parse_template(params.get("TemplateBody"))
        existing = self._stack(params, region) if params.get("StackId") else None
        name = existing["StackName"] if existing else params.get("StackName")
        if not name:
            raise ApiError(400, "MissingStackName", "StackName or StackId is required.")
        values = self._resolve_parameters(doc, self._given_parameters(params), "preview", name, region)
        old = existing["template"]["Resources"] if existing else {}
        resources = []
        for logical, res in doc["Resources"].items():
            if logical not in old:
                action = "Add"
            elif old[logical] != res:
                action = "Modify"
            else:
                continue
            resources.append({"LogicalResourceId": logical, "ResourceType": res["Type"], "Action": action,
                              "Properties": res.get("Properties", {})})
        for logical, res in old.items():
            if logical not in doc["Resources"]:
                resources.append({"LogicalResourceId": logical, "ResourceType": res["Type"], "Action": "Remove"})
        return {"Stack": {
            "StackName": name, "Description": doc.get("Description", ""),
            "Parameters": [{"ParameterKey": k, "ParameterValue": v} for k, v in sorted(values.items())],
            "Resources": resources, "RegionId": region,
        }}

    def list_stack_resources(self, params, region):
        stack = self._stack(params, region)
        return {"Resources": list(copy.deepcopy(stack["resources"]).values())}

    def get_template(self, params, region):
        stack = self._stack(params, region)
        return {"TemplateBody": stack["template_body"], "StackId": stack["StackId"]}

    def delete_stack(self, params, region):
        stack = self._stack(params, region)
        stack.update(Status="DELETE_IN_PROGRESS", StatusReason="Stack DELETE started", polls_left=self.progress_polls)
        return {}

    @staticmethod
    def validate_template_action(params, region):
        """ValidateTemplate: the same checks as CreateStack, no stack; answers the template's
        description, parameters, outputs and resource types, as
        https://www.alibabacloud.com/help/en/ros/developer-reference/api-ros-2019-09-10-validatetemplate
        describes the response."""
        doc = parse_template(params.get("TemplateBody"))
        parameters = []
        for key, spec in (doc.get("Parameters") or {}).items():
            spec = spec if isinstance(spec, dict) else {}
            entry = {"ParameterKey": key, "Type": spec.get("Type", "String"),
                     "NoEcho": str(spec.get("NoEcho", False)).lower(), "Description": spec.get("Description", "")}
            if "Default" in spec:
                entry["DefaultValue"] = spec["Default"]
            if "AllowedValues" in spec:
                entry["AllowedValues"] = spec["AllowedValues"]
            parameters.append(entry)
        return {
            "Description": doc.get("Description", ""),
            "Parameters": parameters,
            "Outputs": [{"OutputKey": key, "Description": (out or {}).get("Description", "")}
                        for key, out in (doc.get("Outputs") or {}).items()],
            "ResourceTypes": {"Resources": sorted({r["Type"] for r in doc["Resources"].values()
                                                   if r["Type"].startswith("ALIYUN::")}),
                              "DataSources": sorted({r["Type"] for r in doc["Resources"].values()
                                                     if r["Type"].startswith("DATASOURCE::")})},
        }

    ACTIONS = {
        "ValidateTemplate": "validate_template_action",
        "CreateStack": "create_stack", "GetStack": "get_stack", "ListStacks": "list_stacks",
        "UpdateStack": "update_stack", "PreviewStack": "preview_stack",
        "ListStackResources": "list_stack_resources", "GetTemplate": "get_template",
        "DeleteStack": "delete_stack",
    }
    # Other products' calls, each under its own API version (see the header).
    ESS_VERSION = "2014-08-28"
    ECS_VERSION = "2014-05-26"
    OTHER_ACTIONS = {
        (ESS_VERSION, "DescribeScalingInstances"): "describe_scaling_instances",
        (ECS_VERSION, "DescribeInstances"): "describe_instances",
    }

    # -- authentication --------------------------------------------------------------------
    def authenticate(self, method, path, query_pairs, headers, body):
        fields = parse_authorization(headers.get("authorization"))
        access_key_id = fields["Credential"]
        secret = self.access_keys.get(access_key_id)
        if secret is None:
            raise ApiError(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.")
        signed = fields["SignedHeaders"].split(";")
        if signed != sorted(signed) or any(h not in signed for h in REQUIRED_SIGNED_HEADERS):
            raise ApiError(400, "IncompleteSignature",
                           "SignedHeaders must be sorted and include %s" % ", ".join(REQUIRED_SIGNED_HEADERS))
        if headers.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest():
            raise ApiError(400, "IncompleteSignature", "x-acs-content-sha256 does not match the body")
        try:
            sent = datetime.strptime(headers.get("x-acs-date", ""), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)
        except ValueError:
            raise ApiError(400, "InvalidTimeStamp.Format", "x-acs-date must be ISO 8601 UTC")
        if abs((datetime.now(timezone.utc) - sent).total_seconds()) > MAX_CLOCK_SKEW:
            raise ApiError(400, "InvalidTimeStamp.Expired", "x-acs-date is too far from the server time")
        nonce = headers.get("x-acs-signature-nonce")
        horizon = time.time() - MAX_CLOCK_SKEW
        self.nonces = {n: t for n, t in self.nonces.items() if t > horizon}
        if nonce in self.nonces:
            raise ApiError(400, "SignatureNonceUsed", "The request signature nonce has been used.")
        want = expected_signature(secret, method, path, query_pairs, headers, signed, body)
        if not hmac.compare_digest(want, fields["Signature"]):
            raise ApiError(400, "SignatureDoesNotMatch",
                           "The request signature does not conform to Aliyun standards.")
        self.nonces[nonce] = time.time()

    def handle(self, method, path, query_pairs, headers, body):
        self.authenticate(method, path, query_pairs, headers, body)
        params = dict(query_pairs)
        if body and "x-www-form-urlencoded" in headers.get("content-type", ""):
            params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        action = headers.get("x-acs-action") or params.get("Action")
        version = headers.get("x-acs-version") or params.get("Version")
        if version == API_VERSION:
            handler = self.ACTIONS.get(action)
        elif version in (self.ESS_VERSION, self.ECS_VERSION):
            handler = self.OTHER_ACTIONS.get((version, action))
        else:
            raise ApiError(400, "InvalidVersion", "Specified parameter Version is not valid.")
        if handler is None:
            raise ApiError(404, "InvalidAction.NotFound", "Specified api %s is not found." % action)
        region = params.get("RegionId")
        if not region:
            raise ApiError(400, "MissingRegionId", "RegionId is mandatory for this action.")
        self.calls.append(action)
        return getattr(self, handler)(params, region)


class Handler(BaseHTTPRequestHandler):
    server_version = "ros-standin/1.0"
    state = None  # set by make_server

    def log_message(self, fmt, *args):  # keep test output quiet
        if self.server.verbose:
            sys.stderr.write("ros-standin: " + (fmt % args) + "\n")

    def _send(self, status, doc):
        data = json.dumps(doc).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json;charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _control(self, method, path, body):
        state = self.server.state
        if path == "/_standin/reset" and method == "POST":
            state.reset()
            return {"ok": True}
        if path == "/_standin/fail" and method == "POST":
            spec = json.loads(body or b"{}")
            state.failures[spec["stack_name"]] = spec
            return {"ok": True}
        if path == "/_standin/stacks":
            return {"stacks": [{"StackId": s["StackId"], "StackName": s["StackName"], "Status": s["Status"],
                                "deleted": s["deleted"], "no_echo": sorted(s["no_echo"])}
                               for s in state.stacks.values()],
                    "calls": list(state.calls)}
        if path == "/_standin/resolve" and method == "POST":
            spec = json.loads(body or b"{}")
            live = [s for s in state.stacks.values() if s["StackName"] == spec["stack_name"] and not s["deleted"]]
            if not live:
                raise ApiError(404, "StackNotFound", "no live stack %s" % spec["stack_name"])
            resource = live[0]["template"]["Resources"][spec["resource"]]
            return {"value": state._evaluate(live[0], resource["Properties"][spec["property"]])}
        raise ApiError(404, "NotFound", "unknown control path %s" % path)

    def _dispatch(self, method):
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        request_id = str(uuid.uuid4()).upper()
        try:
            with self.server.state.lock:
                if parts.path.startswith("/_standin/"):
                    doc = self._control(method, parts.path, body)
                else:
                    headers = {k.lower(): v for k, v in self.headers.items()}
                    pairs = parse_qsl(parts.query, keep_blank_values=True)
                    doc = self.server.state.handle(method, parts.path or "/", pairs, headers, body)
            doc["RequestId"] = request_id
            self._send(200, doc)
        except ApiError as err:
            self._send(err.status, {"RequestId": request_id, "HostId": "ros.aliyuncs.com",
                                    "Code": err.code, "Message": err.message})

    def do_POST(self):  # noqa: N802 - http.server API
        self._dispatch("POST")

    def do_GET(self):  # noqa: N802
        self._dispatch("GET")


def make_server(port=0, host="127.0.0.1", access_keys=None, progress_polls=2, verbose=False):
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    server.verbose = verbose
    server.state = RosState(access_keys or {DEFAULT_ACCESS_KEY_ID: DEFAULT_ACCESS_KEY_SECRET}, progress_polls)
    return server


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n", maxsplit=1)[0])
    parser.add_argument("--port", type=int, default=18080)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--access-key-id", default=DEFAULT_ACCESS_KEY_ID)
    parser.add_argument("--access-key-secret", default=DEFAULT_ACCESS_KEY_SECRET)
    parser.add_argument("--progress-polls", type=int, default=2,
                        help="GetStack calls a stack stays *_IN_PROGRESS before it completes")
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args(argv)
    server = make_server(args.port, args.host, {args.access_key_id: args.access_key_secret},
                         args.progress_polls, args.verbose)
    print("ROS stand-in listening on http://%s:%d" % server.server_address, flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
