# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Application load balancers with their target groups, listeners and rules, converged
together by one task (``aws_balancer`` with ``type=application``).

Validation is pure (no AWS calls) so that bad input fails before anything changes; the
classic balancer (``classic_elb.py``) shares the error class and the common checks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import ConvergeError, Converger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.retries import error_code
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import boto3_tag_list, tag_changes, tag_dict
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.waiters import balancer_active, wait_for

try:
    from botocore.exceptions import ClientError
except ImportError:  # reported by the shared AWS module class
    ClientError = Exception

# longer declares is found (and removed) even when no listener points at it any more.
BALANCER_TAG = "streamfleet:balancer"

# Target-group attributes the collection knows. moto accepts any key, AWS rejects unknown ones
# only at apply time, so the task is checked against this list before anything changes.
TARGET_GROUP_ATTRIBUTES = frozenset([
    "deregistration_delay.timeout_seconds",
    "deregistration_delay.connection_termination.enabled",
    "load_balancing.algorithm.type",
    "load_balancing.algorithm.anomaly_mitigation",
    "load_balancing.cross_zone.enabled",
    "slow_start.duration_seconds",
    "stickiness.enabled",
    "stickiness.type",
    "stickiness.lb_cookie.duration_seconds",
    "stickiness.app_cookie.cookie_name",
    "stickiness.app_cookie.duration_seconds",
    "target_group_health.dns_failover.minimum_healthy_targets.count",
    "target_group_health.dns_failover.minimum_healthy_targets.percentage",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.count",
    "target_group_health.unhealthy_state_routing.minimum_healthy_targets.percentage",
    "lambda.multi_value_headers.enabled",
    "proxy_protocol_v2.enabled",
    "preserve_client_ip.enabled",
])


APPLICATION_ONLY = ("port", "certificate_arn", "extra_certificate_arns", "ssl_policy",
                    "default_action", "rules")
CLASSIC_ONLY = ("load_balancer_port", "instance_protocol", "instance_port", "ssl_certificate_id")
REDIRECT_DEFAULTS = {"Protocol": "#{protocol}", "Port": "#{port}", "Host": "#{host}",
                     "Path": "/#{path}", "Query": "#{query}"}


class BalancerError(ConvergeError):
    """Invalid task input or a state the module refuses to change; nothing was changed."""


# --------------------------------------------------------------------------- validation

def present(value):
    return value is not None and value != [] and value != {}


def check_balancer(params, kind_errors):
    """Check a balancer task without calling AWS; raise BalancerError with every problem.

    ``kind_errors(params)`` lists the problems particular to the kind of balancer.
    """
    errors = []
    if params.get("state", "present") == "absent":
        return
    if not params.get("subnets"):
        errors.append("subnets: at least one subnet is required to create or converge a balancer")
    errors.extend(kind_errors(params))
    if errors:
        raise BalancerError("; ".join(errors))


def validate(params):
    """Check an application or network balancer task without calling AWS."""
    check_balancer(params, _validate_network if params.get("type") == "network" else _validate_application)


def valid_port(value):
    """A TCP/UDP port number 1..65535 (ints and numeric strings)."""
    try:
        return 1 <= int(value) <= 65535
    except (TypeError, ValueError):
        return False


# What a listener of a network balancer can forward to (ELBv2 CreateListener rules).
NETWORK_LISTENER_GROUPS = {
    "TCP": ("TCP", "TCP_UDP"),
    "UDP": ("UDP", "TCP_UDP"),
    "TCP_UDP": ("TCP_UDP",),
    "TLS": ("TCP", "TLS"),
}
KIND_PROTOCOLS = {"application": ("HTTP", "HTTPS"), "network": ("TCP", "UDP", "TCP_UDP", "TLS")}
SECURE_PROTOCOLS = ("HTTPS", "TLS")


def _validate_target_groups(params, kind, errors):
    """Checks shared by application and network target groups; returns {name: protocol}."""
    groups = {}
    for index, group in enumerate(params.get("target_groups") or []):
        where = "target_groups[%d] (%s)" % (index, group.get("name"))
        if group["name"] in groups:
            errors.append("%s: name declared twice" % where)
        groups[group["name"]] = (group.get("protocol") or "").upper()
        if len(group["name"]) > 32 or not re.match(r"^[A-Za-z0-9-]+$", group["name"]) \
                or group["name"].startswith("-") or group["name"].endswith("-"):
            errors.append("%s: name must be 1-32 letters, digits or inner hyphens" % where)
        if not valid_port(group.get("port")):
            errors.append("%s: port %r must be 1..65535" % (where, group.get("port")))
        if groups[group["name"]] not in KIND_PROTOCOLS[kind]:
            errors.append("%s: protocol %s is not one of %s for type=%s"
                          % (where, group.get("protocol"), ", ".join(KIND_PROTOCOLS[kind]), kind))
        unknown = sorted(set(group.get("attributes") or {}) - TARGET_GROUP_ATTRIBUTES)
        if unknown:
            errors.append("%s: unknown target-group attribute(s) %s" % (where, ", ".join(unknown)))
        check = group.get("health_check") or {}
        if check.get("timeout") and check.get("interval") and check["timeout"] >= check["interval"]:
            errors.append("%s: health_check.timeout must be shorter than health_check.interval" % where)
        if check.get("port") not in (None, "traffic-port") and not valid_port(check.get("port")):
            errors.append("%s: health_check.port %r must be traffic-port or 1..65535" % (where, check.get("port")))
    return groups


def _validate_ports(listener, where, seen, errors):
    if listener.get("port") is None:
        errors.append("%s: port is required" % where)
    elif not valid_port(listener.get("port")):
        errors.append("%s: port %r must be 1..65535" % (where, listener.get("port")))
    if listener.get("port") in seen:
        errors.append("%s: port %s declared twice" % (where, listener.get("port")))
    seen.add(listener.get("port"))


def _validate_application(params):
    errors = []
    if params.get("health_check"):
        errors.append("health_check: only for type=classic (target groups carry their own)")
    if params.get("cross_zone") is not None:
        errors.append("cross_zone: only for type=classic or network (always on for application balancers)")
    group_names = _validate_target_groups(params, "application", errors)
    for index, group in enumerate(params.get("target_groups") or []):
        where = "target_groups[%d] (%s)" % (index, group.get("name"))
        stickiness = group.get("stickiness") or {}
        if stickiness.get("type") == "app_cookie" and not stickiness.get("cookie_name"):
            errors.append("%s: stickiness type app_cookie needs cookie_name" % where)
        if stickiness.get("type") == "source_ip":
            errors.append("%s: stickiness type source_ip only for type=network" % where)
        if ((group.get("health_check") or {}).get("protocol") or "HTTP") not in ("HTTP", "HTTPS"):
            errors.append("%s: health_check.protocol of an application target group is HTTP or HTTPS" % where)
    ports = set()
    for index, listener in enumerate(params.get("listeners") or []):
        where = "listeners[%d]" % index
        wrong = [k for k in CLASSIC_ONLY if present(listener.get(k))]
        if wrong:
            errors.append("%s: %s only for type=classic" % (where, ", ".join(wrong)))
        _validate_ports(listener, where, ports, errors)
        protocol = (listener.get("protocol") or "").upper()
        if protocol not in ("HTTP", "HTTPS"):
            errors.append("%s: protocol must be HTTP or HTTPS" % where)
        if protocol == "HTTPS" and not listener.get("certificate_arn"):
            errors.append("%s: an HTTPS listener needs certificate_arn" % where)
        if protocol == "HTTP" and (listener.get("certificate_arn") or listener.get("extra_certificate_arns")
                                   or listener.get("ssl_policy")):
            errors.append("%s: certificates and ssl_policy only for HTTPS listeners" % where)
        if not listener.get("default_action"):
            errors.append("%s: default_action is required" % where)
        else:
            errors.extend(_validate_action(listener["default_action"], where + ".default_action", group_names))
        priorities = set()
        for rindex, rule in enumerate(listener.get("rules") or []):
            rwhere = "%s.rules[%d]" % (where, rindex)
            if rule["priority"] in priorities:
                errors.append("%s: priority %s declared twice" % (rwhere, rule["priority"]))
            priorities.add(rule["priority"])
            if not 1 <= rule["priority"] <= 50000:
                errors.append("%s: priority must be 1..50000" % rwhere)
            if not _conditions_wanted(rule.get("conditions") or {}):
                errors.append("%s: at least one condition is required" % rwhere)
            errors.extend(_validate_action(rule["action"], rwhere + ".action", group_names))
    return errors


def _validate_network(params):
    """A network balancer: TCP/UDP/TCP_UDP/TLS listeners forwarding to matching target groups."""
    errors = []
    if params.get("health_check"):
        errors.append("health_check: only for type=classic (target groups carry their own)")
    if params.get("idle_timeout") is not None:
        errors.append("idle_timeout: only for type=classic or application (a network balancer has none)")
    groups = _validate_target_groups(params, "network", errors)
    for index, group in enumerate(params.get("target_groups") or []):
        where = "target_groups[%d] (%s)" % (index, group.get("name"))
        if group.get("algorithm"):
            errors.append("%s: algorithm only for type=application (a network balancer hashes flows)" % where)
        stickiness = group.get("stickiness") or {}
        if stickiness and stickiness.get("enabled", True) is not False and stickiness.get("type") != "source_ip":
            errors.append("%s: a network target group sticks by source_ip only" % where)
        if stickiness.get("duration") is not None or stickiness.get("cookie_name"):
            errors.append("%s: stickiness duration and cookie_name only for type=application" % where)
        check = group.get("health_check") or {}
        check_protocol = (check.get("protocol") or "TCP").upper()
        if check_protocol == "TCP" and (check.get("path") or check.get("matcher")):
            errors.append("%s: health_check path and matcher need protocol HTTP or HTTPS" % where)
    ports = set()
    for index, listener in enumerate(params.get("listeners") or []):
        where = "listeners[%d]" % index
        wrong = [k for k in CLASSIC_ONLY if present(listener.get(k))]
        if wrong:
            errors.append("%s: %s only for type=classic" % (where, ", ".join(wrong)))
        _validate_ports(listener, where, ports, errors)
        protocol = (listener.get("protocol") or "").upper()
        if protocol not in NETWORK_LISTENER_GROUPS:
            errors.append("%s: protocol must be one of %s" % (where, ", ".join(sorted(NETWORK_LISTENER_GROUPS))))
        if protocol == "TLS" and not listener.get("certificate_arn"):
            errors.append("%s: a TLS listener needs certificate_arn" % where)
        if protocol != "TLS" and (listener.get("certificate_arn") or listener.get("extra_certificate_arns")
                                  or listener.get("ssl_policy")):
            errors.append("%s: certificates and ssl_policy only for TLS listeners" % where)
        if listener.get("rules"):
            errors.append("%s: rules only for type=application" % where)
        action = listener.get("default_action")
        if not action:
            errors.append("%s: default_action is required" % where)
        elif action.get("type") != "forward":
            errors.append("%s.default_action: a network listener can only forward" % where)
        else:
            problems = _validate_action(action, where + ".default_action", groups)
            errors.extend(problems)
            target = groups.get(action.get("target_group"))
            if not problems and protocol in NETWORK_LISTENER_GROUPS and target not in NETWORK_LISTENER_GROUPS[protocol]:
                errors.append("%s: a %s listener cannot forward to %s target group %s (allowed: %s)"
                              % (where, protocol, target, action["target_group"],
                                 ", ".join(NETWORK_LISTENER_GROUPS[protocol])))
    return errors


def _validate_action(action, where, group_names):
    kind = action.get("type")
    if kind == "forward":
        if not action.get("target_group"):
            return ["%s: forward needs target_group" % where]
        if action["target_group"] not in group_names:
            return ["%s: target_group %r is not declared in target_groups" % (where, action["target_group"])]
    elif kind == "redirect":
        redirect = action.get("redirect") or {}
        if not redirect.get("status_code"):
            return ["%s: redirect needs redirect.status_code (HTTP_301 or HTTP_302)" % where]
    elif kind == "fixed_response":
        if not (action.get("fixed_response") or {}).get("status_code"):
            return ["%s: fixed_response needs fixed_response.status_code" % where]
    return []


# --------------------------------------------------------------------------- normalising

def _conditions_wanted(conditions):
    """Conditions of a rule as a canonical sorted list of tuples."""
    wanted = []
    for value in sorted(conditions.get("host_header") or []):
        wanted.append(("host-header", value))
    for value in sorted(conditions.get("path_pattern") or []):
        wanted.append(("path-pattern", value))
    header = conditions.get("http_header")
    if header:
        wanted.append(("http-header", header["name"].lower(), tuple(sorted(header["values"]))))
    for pair in conditions.get("query_string") or []:
        wanted.append(("query-string", pair.get("key") or "", pair["value"]))
    return sorted(wanted)


def _conditions_current(conditions):
    current = []
    for cond in conditions or []:
        field = cond.get("Field")
        if field in ("host-header", "path-pattern"):
            config = cond.get("HostHeaderConfig" if field == "host-header" else "PathPatternConfig") or {}
            for value in config.get("Values") or cond.get("Values") or []:
                current.append((field, value))
        elif field == "http-header":
            config = cond.get("HttpHeaderConfig") or {}
            current.append((field, (config.get("HttpHeaderName") or "").lower(),
                            tuple(sorted(config.get("Values") or []))))
        elif field == "query-string":
            for pair in (cond.get("QueryStringConfig") or {}).get("Values") or []:
                current.append((field, pair.get("Key") or "", pair.get("Value")))
        else:
            current.append((field, tuple(cond.get("Values") or [])))
    return sorted(current)


def conditions_api(conditions):
    api = []
    if conditions.get("host_header"):
        api.append({"Field": "host-header", "HostHeaderConfig": {"Values": list(conditions["host_header"])}})
    if conditions.get("path_pattern"):
        api.append({"Field": "path-pattern", "PathPatternConfig": {"Values": list(conditions["path_pattern"])}})
    if conditions.get("http_header"):
        header = conditions["http_header"]
        api.append({"Field": "http-header",
                    "HttpHeaderConfig": {"HttpHeaderName": header["name"], "Values": list(header["values"])}})
    if conditions.get("query_string"):
        values = []
        for pair in conditions["query_string"]:
            item = {"Value": pair["value"]}
            if pair.get("key"):
                item["Key"] = pair["key"]
            values.append(item)
        api.append({"Field": "query-string", "QueryStringConfig": {"Values": values}})
    return api


def action_api(action, group_arns):
    """One declared action as the ELBv2 API wants it; ``group_arns`` maps names to ARNs."""
    kind = action["type"]
    if kind == "forward":
        return {"Type": "forward", "TargetGroupArn": group_arns.get(action["target_group"], action["target_group"])}
    if kind == "redirect":
        redirect = action["redirect"]
        config = dict(REDIRECT_DEFAULTS)
        for key, api_key in (("protocol", "Protocol"), ("port", "Port"), ("host", "Host"),
                             ("path", "Path"), ("query", "Query")):
            if redirect.get(key) is not None:
                config[api_key] = str(redirect[key])
        config["StatusCode"] = redirect["status_code"]
        return {"Type": "redirect", "RedirectConfig": config}
    fixed = action["fixed_response"]
    config = {"StatusCode": str(fixed["status_code"])}
    if fixed.get("content_type"):
        config["ContentType"] = fixed["content_type"]
    if fixed.get("message_body") is not None:
        config["MessageBody"] = fixed["message_body"]
    return {"Type": "fixed-response", "FixedResponseConfig": config}


def action_key(api_action):
    """Comparable form of an API action (declared or described)."""
    kind = api_action.get("Type")
    if kind == "forward":
        arn = api_action.get("TargetGroupArn")
        if not arn:
            groups = (api_action.get("ForwardConfig") or {}).get("TargetGroups") or []
            arn = groups[0].get("TargetGroupArn") if len(groups) == 1 else tuple(
                sorted(g.get("TargetGroupArn") for g in groups))
        return ("forward", arn)
    if kind == "redirect":
        config = dict(REDIRECT_DEFAULTS)
        config.update(api_action.get("RedirectConfig") or {})
        return ("redirect",) + tuple(str(config.get(k)) for k in ("Protocol", "Port", "Host", "Path", "Query", "StatusCode"))
    config = api_action.get("FixedResponseConfig") or {}
    return ("fixed-response", str(config.get("StatusCode")), config.get("ContentType"), config.get("MessageBody"))


def target_group_attributes(group):
    """Declared target-group attributes as the API's string key/value dict."""
    wanted = {}
    if group.get("algorithm"):
        wanted["load_balancing.algorithm.type"] = group["algorithm"]
    if group.get("deregistration_delay") is not None:
        wanted["deregistration_delay.timeout_seconds"] = str(group["deregistration_delay"])
    stickiness = group.get("stickiness")
    if stickiness:
        enabled = stickiness.get("enabled", True) is not False
        wanted["stickiness.enabled"] = "true" if enabled else "false"
        if enabled:
            wanted["stickiness.type"] = stickiness.get("type") or "lb_cookie"
            if stickiness.get("duration") is not None:
                prefix = "stickiness.app_cookie" if wanted["stickiness.type"] == "app_cookie" else "stickiness.lb_cookie"
                wanted[prefix + ".duration_seconds"] = str(stickiness["duration"])
            if stickiness.get("cookie_name"):
                wanted["stickiness.app_cookie.cookie_name"] = stickiness["cookie_name"]
    for key, value in (group.get("attributes") or {}).items():
        wanted[key] = str(value).lower() if isinstance(value, bool) else str(value)
    return wanted


HEALTH_CHECK_KEYS = (
    ("protocol", "HealthCheckProtocol"),
    ("port", "HealthCheckPort"),
    ("path", "HealthCheckPath"),
    ("interval", "HealthCheckIntervalSeconds"),
    ("timeout", "HealthCheckTimeoutSeconds"),
    ("healthy_threshold", "HealthyThresholdCount"),
    ("unhealthy_threshold", "UnhealthyThresholdCount"),
)


def health_check_api(check):
    """Declared target-group health check as create/modify_target_group keyword arguments."""
    api = {}
    for key, api_key in HEALTH_CHECK_KEYS:
        if (check or {}).get(key) is not None:
            value = check[key]
            api[api_key] = str(value) if key == "port" else value
    if (check or {}).get("matcher"):
        api["Matcher"] = {"HttpCode": str(check["matcher"])}
    return api


def health_check_changes(current, check):
    """Keys of the declared health check that differ from the described target group."""
    wanted = health_check_api(check)
    changed = {}
    for api_key, value in wanted.items():
        if api_key == "Matcher":
            if (current.get("Matcher") or {}).get("HttpCode") != value["HttpCode"]:
                changed[api_key] = value
        elif str(current.get(api_key)) != str(value):
            changed[api_key] = value
    return changed


def dict_changes(current, wanted):
    """Keys of ``wanted`` whose value differs in ``current`` (string comparison)."""
    return dict((k, v) for k, v in wanted.items() if str(current.get(k)).lower() != str(v).lower())


# --------------------------------------------------------------------------- converger

class BalancerConverger(Converger):
    """What both kinds of balancer share: the checks, the error, ``present``/``absent``."""

    input_rules = 'aws_balancer'  # validation.INPUT_RULES, checked before validate()

    error = BalancerError

    @staticmethod
    def kind_errors(params):
        """The problems particular to the kind of balancer (none here)."""
        return []

    def describe(self):
        return "Balancer %s" % self.params["name"]

    def validate(self):
        check_balancer(self.params, self.kind_errors)

    def apply(self):
        if self.params["state"] == "absent":
            self.absent()
        else:
            self.present()


class ApplicationBalancer(BalancerConverger):
    """Converges one application balancer and what it owns."""

    kind = "application"
    kind_errors = staticmethod(_validate_application)

    def _alb_describe(self, client):
        try:
            found = client.describe_load_balancers(aws_retry=True, Names=[self.params["name"]])["LoadBalancers"]
        except ClientError as exc:
            if error_code(exc) == "LoadBalancerNotFound":
                return None
            raise
        return found[0] if found else None

    def _tags_for(self, client, arns):
        tags = {}
        arns = list(arns)
        for start in range(0, len(arns), 20):
            described = client.describe_tags(aws_retry=True, ResourceArns=arns[start:start + 20])["TagDescriptions"]
            for item in described:
                tags[item["ResourceArn"]] = tag_dict(item.get("Tags", []))
        return tags

    def _owned_target_groups(self, client, balancer_arn, listing):
        """Target groups that are declared, attached to this balancer or tagged for it, out of
        ``listing`` (every target group of the region).

        Returns (groups by name, tags by arn); tags also hold the balancer's own tags.
        """
        declared = set(g["name"] for g in self.params.get("target_groups") or [])
        candidates = []
        for group in listing:
            attached = group.get("LoadBalancerArns") or []
            if group["TargetGroupName"] in declared or not attached or (balancer_arn and balancer_arn in attached):
                candidates.append(group)
        arns = [g["TargetGroupArn"] for g in candidates]
        if balancer_arn:
            arns.insert(0, balancer_arn)
        tags = self._tags_for(client, arns) if arns else {}
        groups = {}
        for group in candidates:
            group_tags = tags.get(group["TargetGroupArn"], {})
            if group["TargetGroupName"] in declared or (
                    self.owned(group_tags) and group_tags.get(BALANCER_TAG) == self.params["name"]):
                groups[group["TargetGroupName"]] = group
        return groups, tags

    def read(self):
        """The balancer, and the target groups it owns with the tags of both."""
        client = self.client("elbv2")
        balancer = self._alb_describe(client)
        balancer_arn = balancer["LoadBalancerArn"] if balancer else None
        # Every target group of the region (one that lost its balancer is found by its tags);
        # the balancers of one task share the listing (first_read).
        listing = self.first_read(('elbv2', 'target_groups'),
                                  lambda: client.paginate("describe_target_groups", "TargetGroups"))
        self.found = (balancer, balancer_arn) + self._owned_target_groups(client, balancer_arn, listing)

    def present(self):
        client = self.client("elbv2")
        name = self.params["name"]
        balancer, balancer_arn, groups, tags = self.found
        self.after = self._application_desired()
        if balancer is None:
            self.before = {}
            if self.change("create %s balancer %s" % (self.kind, name)):
                kwargs = dict(Name=name, Subnets=self.params["subnets"], Scheme=self.params["scheme"],
                              Type=self.kind, Tags=boto3_tag_list(self.deployment_tags()))
                if self.params.get("security_groups"):
                    kwargs["SecurityGroups"] = self.params["security_groups"]
                # idempotent: the same name and settings give the same balancer
                balancer = client.create_load_balancer(aws_retry=True, **kwargs)["LoadBalancers"][0]
                balancer_arn = balancer["LoadBalancerArn"]
                if self.params.get("wait"):
                    balancer_active(self.module, client, balancer_arn)
                attributes = self._balancer_attributes()
                if attributes:
                    client.modify_load_balancer_attributes(aws_retry=True, LoadBalancerArn=balancer_arn, Attributes=[
                        {"Key": k, "Value": v} for k, v in sorted(attributes.items())])
            else:
                # check mode: everything declared would be created
                for group in self.params.get("target_groups") or []:
                    if group["name"] in groups:
                        self.refuse_foreign("target group", group["name"], tags.get(groups[group["name"]]["TargetGroupArn"], {}))
                    else:
                        self.change("create target group %s" % group["name"])
                for listener in self.params.get("listeners") or []:
                    self.change("create listener %s" % listener["port"])
                return
            listeners = []
        else:
            self.refuse_foreign("%s balancer" % self.kind, name, tags.get(balancer_arn, {}))
            if balancer.get("Type", self.kind) != self.kind:
                raise BalancerError("balancer %s is of type %s, not %s; the type cannot change in place "
                                    "(remove it first or choose another name)" % (name, balancer.get("Type"), self.kind))
            self._alb_update(client, balancer, tags.get(balancer_arn, {}))
            listeners = client.describe_listeners(aws_retry=True, LoadBalancerArn=balancer_arn)["Listeners"]
        self.before.setdefault("target_groups", {})
        self.before.setdefault("listeners", {})
        group_arns = self._converge_target_groups(client, balancer, groups, tags)
        self._converge_listeners(client, balancer_arn, listeners, group_arns)
        self._delete_undeclared_groups(client, groups)
        if self.changes and not self.check_mode:
            balancer = self._alb_describe(client)
        self.result["load_balancer"] = {
            "name": name, "type": self.kind, "arn": balancer_arn, "dns_name": balancer.get("DNSName"),
            "canonical_hosted_zone_id": balancer.get("CanonicalHostedZoneId"), "scheme": balancer.get("Scheme"),
            "vpc_id": balancer.get("VpcId"),
            "subnets": sorted(z.get("SubnetId") for z in balancer.get("AvailabilityZones", [])),
            "security_groups": balancer.get("SecurityGroups", []),
        }
        self.result["target_groups"] = dict((k, v) for k, v in group_arns.items())

    def _application_desired(self):
        desired = {
            "name": self.params["name"], "type": self.kind, "scheme": self.params["scheme"],
            "subnets": sorted(self.params["subnets"]),
            "security_groups": sorted(self.params.get("security_groups") or []),
            "attributes": self._balancer_attributes(), "tags": self.deployment_tags(),
            "target_groups": {}, "listeners": {},
        }
        for group in self.params.get("target_groups") or []:
            desired["target_groups"][group["name"]] = {
                "protocol": group["protocol"], "port": group["port"], "target_type": group["target_type"],
                "health_check": health_check_api(group.get("health_check")),
                "attributes": target_group_attributes(group),
            }
        for listener in self.params.get("listeners") or []:
            desired["listeners"][str(listener["port"])] = {
                "protocol": listener["protocol"], "certificate_arn": listener.get("certificate_arn"),
                "extra_certificate_arns": sorted(listener.get("extra_certificate_arns") or []),
                "ssl_policy": listener.get("ssl_policy"), "default_action": listener["default_action"],
                "rules": dict((str(r["priority"]), {"conditions": r["conditions"], "action": r["action"]})
                              for r in listener.get("rules") or []),
            }
        return desired

    def _alb_update(self, client, balancer, tags):
        arn = balancer["LoadBalancerArn"]
        if balancer.get("Scheme") != self.params["scheme"]:
            raise BalancerError("scheme of %s is %s; it cannot change in place (delete the balancer first)"
                                % (self.params["name"], balancer.get("Scheme")))
        subnets = sorted(z.get("SubnetId") for z in balancer.get("AvailabilityZones", []))
        attributes = dict((a["Key"], a["Value"]) for a in
                          client.describe_load_balancer_attributes(aws_retry=True, LoadBalancerArn=arn)["Attributes"])
        wanted_attributes = self._balancer_attributes()
        self.before = {
            "name": self.params["name"], "type": self.kind, "scheme": balancer.get("Scheme"),
            "subnets": subnets, "security_groups": sorted(balancer.get("SecurityGroups", [])),
            "attributes": dict((k, attributes.get(k)) for k in wanted_attributes), "tags": tags,
        }
        if sorted(self.params["subnets"]) != subnets and self.change("set subnets %s" % sorted(self.params["subnets"])):
            client.set_subnets(aws_retry=True, LoadBalancerArn=arn, Subnets=self.params["subnets"])
        groups = self.params.get("security_groups")
        if groups and sorted(groups) != sorted(balancer.get("SecurityGroups", [])):
            if self.change("set security groups %s" % sorted(groups)):
                client.set_security_groups(aws_retry=True, LoadBalancerArn=arn, SecurityGroups=groups)
        attribute_changes = dict_changes(attributes, wanted_attributes)
        if attribute_changes and self.change("set attributes %s" % sorted(attribute_changes.items())):
            client.modify_load_balancer_attributes(aws_retry=True, LoadBalancerArn=arn, Attributes=[
                {"Key": k, "Value": v} for k, v in sorted(attribute_changes.items())])
        self._converge_tags_v2(client, arn, tags, self.deployment_tags(), "balancer")

    def _balancer_attributes(self):
        """Declared balancer attributes: the idle timeout (application) or cross-zone (network)."""
        wanted = {}
        if self.params.get("idle_timeout") is not None:
            wanted["idle_timeout.timeout_seconds"] = str(self.params["idle_timeout"])
        if self.params.get("cross_zone") is not None:
            wanted["load_balancing.cross_zone.enabled"] = "true" if self.params["cross_zone"] else "false"
        return wanted

    def _converge_tags_v2(self, client, arn, tags, wanted, what):
        missing, extra = tag_changes(tags, wanted, purge=self.params.get("purge_tags"))
        if missing and self.change("tag %s %s" % (what, sorted(missing))):
            client.add_tags(aws_retry=True, ResourceArns=[arn], Tags=boto3_tag_list(missing))
        if extra and self.change("untag %s %s" % (what, sorted(extra))):
            client.remove_tags(aws_retry=True, ResourceArns=[arn], TagKeys=extra)

    def _converge_target_groups(self, client, balancer, groups, tags):
        group_arns = {}
        vpc_id = balancer.get("VpcId")
        for group in self.params.get("target_groups") or []:
            name = group["name"]
            wanted_tags = self.deployment_tags({BALANCER_TAG: self.params["name"]})
            wanted_attrs = target_group_attributes(group)
            current = groups.get(name)
            if current is None:
                if not self.change("create target group %s" % name):
                    continue
                kwargs = dict(Name=name, Protocol=group["protocol"], Port=group["port"],
                              VpcId=group.get("vpc_id") or vpc_id, TargetType=group["target_type"],
                              Tags=boto3_tag_list(wanted_tags))
                kwargs.update(health_check_api(group.get("health_check")))
                created = client.create_target_group(aws_retry=True, **kwargs)["TargetGroups"][0]
                arn = created["TargetGroupArn"]
                if wanted_attrs:
                    client.modify_target_group_attributes(
                        aws_retry=True, TargetGroupArn=arn, Attributes=[{"Key": k, "Value": v} for k, v in sorted(wanted_attrs.items())])
                group_arns[name] = arn
                continue
            arn = current["TargetGroupArn"]
            group_arns[name] = arn
            self.refuse_foreign("target group", name, tags.get(arn, {}))
            for key, api_key in (("protocol", "Protocol"), ("port", "Port"), ("target_type", "TargetType")):
                if str(current.get(api_key)) != str(group[key]):
                    raise BalancerError(
                        "target group %s: %s is %s and cannot change in place; declare a target group with "
                        "a new name instead" % (name, key, current.get(api_key)))
            if group.get("vpc_id") and current.get("VpcId") != group["vpc_id"]:
                raise BalancerError("target group %s is in %s, not %s; declare a new name instead"
                                    % (name, current.get("VpcId"), group["vpc_id"]))
            current_attrs = dict((a["Key"], a["Value"]) for a in
                                 client.describe_target_group_attributes(aws_retry=True, TargetGroupArn=arn)["Attributes"])
            self.before["target_groups"][name] = {
                "protocol": current.get("Protocol"), "port": current.get("Port"),
                "target_type": current.get("TargetType"),
                "health_check": dict((k, current.get(k)) for k in health_check_api(group.get("health_check"))),
                "attributes": dict((k, current_attrs.get(k)) for k in wanted_attrs),
            }
            check_changes = health_check_changes(current, group.get("health_check"))
            if check_changes and self.change("modify health check of %s: %s" % (name, sorted(check_changes))):
                client.modify_target_group(aws_retry=True, TargetGroupArn=arn, **check_changes)
            attr_changes = dict_changes(current_attrs, wanted_attrs)
            if attr_changes and self.change("modify attributes of %s: %s" % (name, sorted(attr_changes))):
                client.modify_target_group_attributes(
                    aws_retry=True, TargetGroupArn=arn, Attributes=[{"Key": k, "Value": v} for k, v in sorted(attr_changes.items())])
            self._converge_tags_v2(client, arn, tags.get(arn, {}), wanted_tags, "target group %s" % name)
        return group_arns

    def _converge_listeners(self, client, balancer_arn, listeners, group_arns):
        by_port = dict((item["Port"], item) for item in listeners)
        declared = dict((item["port"], item) for item in self.params.get("listeners") or [])
        for port, item in sorted(by_port.items()):
            if port not in declared and self.change("delete listener %s" % port):
                client.delete_listener(aws_retry=True, ListenerArn=item["ListenerArn"])
        for port, listener in sorted(declared.items()):
            default_action = action_api(listener["default_action"], group_arns)
            current = by_port.get(port)
            if current is None:
                if not self.change("create listener %s" % port):
                    continue
                kwargs = dict(LoadBalancerArn=balancer_arn, Port=port, Protocol=listener["protocol"],
                              DefaultActions=[default_action])
                if listener.get("certificate_arn"):
                    kwargs["Certificates"] = [{"CertificateArn": listener["certificate_arn"]}]
                if listener.get("ssl_policy"):
                    kwargs["SslPolicy"] = listener["ssl_policy"]
                created = client.create_listener(aws_retry=True, **kwargs)["Listeners"][0]
                if listener.get("extra_certificate_arns"):
                    client.add_listener_certificates(
                        aws_retry=True, ListenerArn=created["ListenerArn"],
                        Certificates=[{"CertificateArn": c} for c in listener["extra_certificate_arns"]])
                if self.kind == "application":
                    self._converge_rules(client, created["ListenerArn"], port, listener, [], group_arns)
                continue
            arn = current["ListenerArn"]
            current_default = [c["CertificateArn"] for c in current.get("Certificates") or []]
            self.before["listeners"][str(port)] = {
                "protocol": current.get("Protocol"),
                "certificate_arn": current_default[0] if current_default else None,
                "ssl_policy": current.get("SslPolicy"),
                "default_action": [action_key(a) for a in current.get("DefaultActions", [])],
            }
            modify = {}
            if current.get("Protocol") != listener["protocol"]:
                modify["Protocol"] = listener["protocol"]
            if listener.get("certificate_arn") and current_default[:1] != [listener["certificate_arn"]]:
                modify["Certificates"] = [{"CertificateArn": listener["certificate_arn"]}]
            if listener.get("ssl_policy") and current.get("SslPolicy") != listener["ssl_policy"]:
                modify["SslPolicy"] = listener["ssl_policy"]
            if [action_key(a) for a in current.get("DefaultActions", [])] != [action_key(default_action)]:
                modify["DefaultActions"] = [default_action]
            if modify and self.change("modify listener %s: %s" % (port, sorted(modify))):
                if "Protocol" in modify or "Certificates" in modify:
                    modify.setdefault("Protocol", listener["protocol"])
                client.modify_listener(aws_retry=True, ListenerArn=arn, **modify)
            if listener["protocol"] in SECURE_PROTOCOLS:
                self._converge_extra_certificates(client, arn, port, listener)
            if self.kind == "application":
                rules = client.describe_rules(aws_retry=True, ListenerArn=arn)["Rules"]
                self._converge_rules(client, arn, port, listener, rules, group_arns)

    def _converge_extra_certificates(self, client, arn, port, listener):
        described = client.describe_listener_certificates(aws_retry=True, ListenerArn=arn)["Certificates"]
        current = set(c["CertificateArn"] for c in described if not c.get("IsDefault"))
        current.discard(listener.get("certificate_arn"))
        wanted = set(listener.get("extra_certificate_arns") or [])
        self.before["listeners"][str(port)]["extra_certificate_arns"] = sorted(current)
        if wanted - current and self.change("add certificates to listener %s" % port):
            client.add_listener_certificates(aws_retry=True, ListenerArn=arn, Certificates=[
                {"CertificateArn": c} for c in sorted(wanted - current)])
        if current - wanted and self.change("remove certificates from listener %s" % port):
            client.remove_listener_certificates(aws_retry=True, ListenerArn=arn, Certificates=[
                {"CertificateArn": c} for c in sorted(current - wanted)])

    def _converge_rules(self, client, listener_arn, port, listener, rules, group_arns):
        current = {}
        for rule in rules:
            if rule.get("IsDefault") or rule.get("Priority") == "default":
                continue
            current[int(rule["Priority"])] = rule
        declared = dict((r["priority"], r) for r in listener.get("rules") or [])
        before = self.before["listeners"].get(str(port))
        if before is not None:
            before["rules"] = dict((str(p), {"conditions": _conditions_current(r.get("Conditions")),
                                             "action": [action_key(a) for a in r.get("Actions", [])]})
                                   for p, r in current.items())
        for priority, rule in sorted(current.items()):
            if priority not in declared and self.change("delete rule %s of listener %s" % (priority, port)):
                client.delete_rule(aws_retry=True, RuleArn=rule["RuleArn"])
        for priority, rule in sorted(declared.items()):
            conditions = conditions_api(rule["conditions"])
            action = action_api(rule["action"], group_arns)
            existing = current.get(priority)
            if existing is None:
                if self.change("create rule %s of listener %s" % (priority, port)):
                    client.create_once("create_rule", lambda: self._rule_at(client, listener_arn, priority),
                                       ListenerArn=listener_arn, Priority=priority,
                                       Conditions=conditions, Actions=[action])
                continue
            same_conditions = _conditions_current(existing.get("Conditions")) == _conditions_wanted(rule["conditions"])
            same_action = [action_key(a) for a in existing.get("Actions", [])] == [action_key(action)]
            if not (same_conditions and same_action):
                if self.change("modify rule %s of listener %s" % (priority, port)):
                    client.modify_rule(aws_retry=True, RuleArn=existing["RuleArn"], Conditions=conditions, Actions=[action])

    @staticmethod
    def _rule_at(client, listener_arn, priority):
        """The rule at ``priority`` (made by a create that failed after all), or None."""
        for rule in client.describe_rules(aws_retry=True, ListenerArn=listener_arn)["Rules"]:
            if str(rule.get("Priority")) == str(priority):
                return {"Rules": [rule]}
        return None

    def _delete_undeclared_groups(self, client, groups):
        declared = set(g["name"] for g in self.params.get("target_groups") or [])
        for name, group in sorted(groups.items()):
            if name in declared:
                continue
            if self.change("delete target group %s" % name):
                self._delete_target_group(client, name, group["TargetGroupArn"])

    def _delete_target_group(self, client, name, arn):
        """Delete a target group; AWS reports it in use for a moment after its listener went."""
        def attempt():
            try:
                client.delete_target_group(aws_retry=True, TargetGroupArn=arn)
            except ClientError as exc:
                if error_code(exc) == "ResourceInUse":
                    return False, "still in use"
                raise
            return True, "deleted"
        wait_for(self.module, "target group %s deleted" % name, attempt,
                 min(120, self.params.get("wait_timeout") or 120), delay=5)

    def absent(self):
        client = self.client("elbv2")
        balancer, balancer_arn, groups, tags = self.found
        if balancer is not None:
            self.refuse_foreign("%s balancer" % self.kind, self.params["name"], tags.get(balancer_arn, {}))
        # only groups made for this balancer (tagged so), declared or not
        owned = dict((n, g) for n, g in groups.items()
                     if self.owned(tags.get(g["TargetGroupArn"], {}))
                     and tags.get(g["TargetGroupArn"], {}).get(BALANCER_TAG) == self.params["name"])
        self.before = {"name": self.params["name"], "type": self.kind,
                       "exists": balancer is not None, "target_groups": sorted(owned)}
        if balancer is not None:
            if self.change("delete %s balancer %s with its listeners and rules" % (self.kind, self.params["name"])):
                # listeners first so that the target groups are free to delete right after
                for listener in client.describe_listeners(aws_retry=True, LoadBalancerArn=balancer_arn)["Listeners"]:
                    client.delete_listener(aws_retry=True, ListenerArn=listener["ListenerArn"])
                client.delete_load_balancer(aws_retry=True, LoadBalancerArn=balancer_arn)
        for name, group in sorted(owned.items()):
            if self.change("delete target group %s" % name):
                self._delete_target_group(client, name, group["TargetGroupArn"])


class NetworkBalancer(ApplicationBalancer):
    """Converges one network balancer (TCP, UDP, TCP_UDP, TLS listeners) and its target groups.

    The same steps as an application balancer, without rules, idle timeout or algorithm; its
    target groups check health over TCP unless told otherwise.
    """

    kind = "network"
    kind_errors = staticmethod(_validate_network)
