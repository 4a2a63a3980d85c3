# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Load balancers for streamfleet.cluster: Classic LB and Application LB with target groups,
listeners and rules, converged together by one task.

The module ``aws_balancer`` only maps its options here; everything that talks to Elastic Load
Balancing lives in this file. Validation is pure (no AWS calls) so that bad input fails before
anything changes.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.core import (
    DEPLOYMENT_TAG,
    balancer_active,
    boto3_tag_list,
    error_code,
    tag_dict,
    wait_for,
)

try:
    from botocore.exceptions import ClientError
except ImportError:  # reported by the shared AWS module class
    ClientError = Exception

# Tag that names the balancer a target group was created for, so a target group the task no
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

CLASSIC_HEALTH_TARGET = re.compile(r"^(HTTP|HTTPS):(\d{1,5})(/.*)$|^(TCP|SSL):(\d{1,5})$")
CLASSIC_PROTOCOLS = ("HTTP", "HTTPS", "TCP", "SSL")
APPLICATION_ONLY = ("port", "certificate_arn", "extra_certificate_arns", "ssl_policy",
                    "default_action", "rules")
CLASSIC_ONLY = ("load_balancer_port", "instance_protocol", "instance_port", "ssl_certificate_id")
REDIRECT_DEFAULTS = {"Protocol": "#{protocol}", "Port": "#{port}", "Host": "#{host}",
                     "Path": "/#{path}", "Query": "#{query}"}


class BalancerError(Exception):
    """Invalid task input or a state the module refuses to change; nothing was changed."""


# --------------------------------------------------------------------------- validation

def _present(value):
    return value is not None and value != [] and value != {}


def validate(params):
    """Check a balancer task without calling AWS; raise BalancerError with every problem."""
    errors = []
    if params.get("state", "present") == "absent":
        return
    if not params.get("subnets"):
        errors.append("subnets: at least one subnet is required to create or converge a balancer")
    if params["type"] == "classic":
        errors.extend(_validate_classic(params))
    else:
        errors.extend(_validate_application(params))
    if errors:
        raise BalancerError("; ".join(errors))


def _validate_classic(params):
    errors = []
    for key in ("target_groups",):
        if params.get(key):
            errors.append("%s: only for type=application" % key)
    if not params.get("listeners"):
        errors.append("listeners: a classic balancer needs at least one listener")
    seen = set()
    for index, listener in enumerate(params.get("listeners") or []):
        where = "listeners[%d]" % index
        wrong = [k for k in APPLICATION_ONLY if _present(listener.get(k))]
        if wrong:
            errors.append("%s: %s only for type=application" % (where, ", ".join(wrong)))
        for key in ("load_balancer_port", "instance_port"):
            if listener.get(key) is None:
                errors.append("%s: %s is required for a classic listener" % (where, key))
        protocol = (listener.get("protocol") or "").upper()
        if protocol not in CLASSIC_PROTOCOLS:
            errors.append("%s: protocol must be one of %s" % (where, ", ".join(CLASSIC_PROTOCOLS)))
        if protocol in ("HTTPS", "SSL") and not listener.get("ssl_certificate_id"):
            errors.append("%s: protocol %s needs ssl_certificate_id" % (where, protocol))
        port = listener.get("load_balancer_port")
        if port in seen:
            errors.append("%s: load_balancer_port %s declared twice" % (where, port))
        seen.add(port)
    check = params.get("health_check")
    if check and not CLASSIC_HEALTH_TARGET.match(check.get("target") or ""):
        errors.append("health_check.target %r must look like HTTP:8081/path or TCP:5080"
                      % check.get("target"))
    if check and check.get("timeout") and check.get("interval") and check["timeout"] >= check["interval"]:
        errors.append("health_check.timeout must be shorter than health_check.interval")
    return errors


def _validate_application(params):
    errors = []
    if params.get("health_check"):
        errors.append("health_check: only for type=classic (target groups carry their own)")
    if params.get("cross_zone") is not None:
        errors.append("cross_zone: only for type=classic (always on for application balancers)")
    group_names = set()
    for index, group in enumerate(params.get("target_groups") or []):
        where = "target_groups[%d] (%s)" % (index, group.get("name"))
        if group["name"] in group_names:
            errors.append("%s: name declared twice" % where)
        group_names.add(group["name"])
        if len(group["name"]) > 32 or not re.match(r"^[A-Za-z0-9-]+$", group["name"]) \
                or group["name"].startswith("-") or group["name"].endswith("-"):
            errors.append("%s: name must be 1-32 letters, digits or inner hyphens" % where)
        unknown = sorted(set(group.get("attributes") or {}) - TARGET_GROUP_ATTRIBUTES)
        if unknown:
            errors.append("%s: unknown target-group attribute(s) %s" % (where, ", ".join(unknown)))
        stickiness = group.get("stickiness") or {}
        if stickiness.get("type") == "app_cookie" and not stickiness.get("cookie_name"):
            errors.append("%s: stickiness type app_cookie needs cookie_name" % where)
        check = group.get("health_check") or {}
        if check.get("timeout") and check.get("interval") and check["timeout"] >= check["interval"]:
            errors.append("%s: health_check.timeout must be shorter than health_check.interval" % where)
    ports = set()
    for index, listener in enumerate(params.get("listeners") or []):
        where = "listeners[%d]" % index
        wrong = [k for k in CLASSIC_ONLY if _present(listener.get(k))]
        if wrong:
            errors.append("%s: %s only for type=classic" % (where, ", ".join(wrong)))
        if listener.get("port") is None:
            errors.append("%s: port is required" % where)
        if listener.get("port") in ports:
            errors.append("%s: port %s declared twice" % (where, listener.get("port")))
        ports.add(listener.get("port"))
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


# --------------------------------------------------------------------------- manager

class BalancerManager:
    """Converges one balancer and what it owns; records every change it makes or would make."""

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.changes = []
        self.before = {}
        self.after = {}
        self.result = {}

    # -- helpers
    def _change(self, description):
        self.changes.append(description)
        return not self.check_mode

    def _desired_tags(self, extra=None):
        tags = dict(self.params.get("tags") or {})
        tags.update(self.module.deployment_tags())
        tags.update(extra or {})
        return tags

    def _owned(self, tags):
        return tags.get(DEPLOYMENT_TAG) == self.params["deployment"]

    def _refuse_foreign(self, kind, name, tags):
        if not self._owned(tags):
            raise BalancerError(
                "%s %s exists but does not carry %s=%s; the collection does not adopt or change "
                "objects it did not create (tags found: %s)"
                % (kind, name, DEPLOYMENT_TAG, self.params["deployment"], tags))

    # -- entry points
    def ensure(self):
        if self.params["type"] == "classic":
            if self.params["state"] == "absent":
                self._classic_absent()
            else:
                self._classic_present()
        else:
            if self.params["state"] == "absent":
                self._application_absent()
            else:
                self._application_present()
        return self.result

    # ===================================================================== classic
    def _classic_describe(self, client):
        try:
            found = client.describe_load_balancers(LoadBalancerNames=[self.params["name"]])
        except ClientError as exc:
            if error_code(exc) in ("LoadBalancerNotFound", "AccessPointNotFound"):
                return None, {}
            raise
        balancer = found["LoadBalancerDescriptions"][0]
        described = client.describe_tags(LoadBalancerNames=[self.params["name"]])["TagDescriptions"]
        tags = tag_dict(described[0].get("Tags", [])) if described else {}
        return balancer, tags

    @staticmethod
    def _classic_listener(listener):
        item = {
            "Protocol": listener["protocol"].upper(),
            "LoadBalancerPort": listener["load_balancer_port"],
            "InstanceProtocol": (listener.get("instance_protocol") or listener["protocol"]).upper(),
            "InstancePort": listener["instance_port"],
        }
        if listener.get("ssl_certificate_id"):
            item["SSLCertificateId"] = listener["ssl_certificate_id"]
        return item

    @staticmethod
    def _classic_listener_key(item):
        return (item["Protocol"].upper(), item["LoadBalancerPort"], item["InstanceProtocol"].upper(),
                item["InstancePort"], item.get("SSLCertificateId") or None)

    def _classic_present(self):
        client = self.module.client("elb")
        name = self.params["name"]
        balancer, tags = self._classic_describe(client)
        wanted_listeners = [self._classic_listener(item) for item in self.params["listeners"]]
        check = self.params.get("health_check")
        self.after = {
            "name": name, "type": "classic", "scheme": self.params["scheme"],
            "subnets": sorted(self.params["subnets"]),
            "security_groups": sorted(self.params.get("security_groups") or []),
            "listeners": sorted(self._classic_listener_key(i) for i in wanted_listeners),
            "health_check": check, "cross_zone": self.params.get("cross_zone"),
            "idle_timeout": self.params.get("idle_timeout"), "tags": self._desired_tags(),
        }
        if balancer is None:
            self.before = {}
            if self._change("create classic balancer %s" % name):
                kwargs = dict(LoadBalancerName=name, Listeners=wanted_listeners, Subnets=self.params["subnets"],
                              Scheme=self.params["scheme"], Tags=boto3_tag_list(self._desired_tags()))
                if self.params.get("security_groups"):
                    kwargs["SecurityGroups"] = self.params["security_groups"]
                client.create_load_balancer(**kwargs)
            if check:
                self._change("configure health check %s" % check["target"])
                if not self.check_mode:
                    client.configure_health_check(LoadBalancerName=name, HealthCheck=self._classic_health_api(check))
            attributes = self._classic_attributes_wanted()
            if attributes and self._change("set balancer attributes"):
                client.modify_load_balancer_attributes(LoadBalancerName=name, LoadBalancerAttributes=attributes)
            if not self.check_mode:
                balancer, tags = self._classic_describe(client)
        else:
            self._refuse_foreign("classic balancer", name, tags)
            self._classic_update(client, balancer, tags, wanted_listeners)
            if self.changes and not self.check_mode:
                balancer, tags = self._classic_describe(client)
        if balancer:
            self.result["load_balancer"] = {
                "name": name, "type": "classic", "dns_name": balancer.get("DNSName"),
                "canonical_hosted_zone_id": balancer.get("CanonicalHostedZoneNameID"),
                "scheme": balancer.get("Scheme"), "vpc_id": balancer.get("VPCId"), "arn": None,
                "subnets": balancer.get("Subnets", []), "security_groups": balancer.get("SecurityGroups", []),
            }

    def _classic_health_api(self, check):
        return {"Target": check["target"], "Interval": check["interval"], "Timeout": check["timeout"],
                "HealthyThreshold": check["healthy_threshold"], "UnhealthyThreshold": check["unhealthy_threshold"]}

    def _classic_attributes_wanted(self):
        attributes = {}
        if self.params.get("cross_zone") is not None:
            attributes["CrossZoneLoadBalancing"] = {"Enabled": self.params["cross_zone"]}
        if self.params.get("idle_timeout") is not None:
            attributes["ConnectionSettings"] = {"IdleTimeout": self.params["idle_timeout"]}
        return attributes

    def _classic_update(self, client, balancer, tags, wanted_listeners):
        name = self.params["name"]
        if balancer.get("Scheme") and balancer["Scheme"] != self.params["scheme"]:
            raise BalancerError("scheme of %s is %s; it cannot change in place (delete the balancer first)"
                                % (name, balancer["Scheme"]))
        current = [d["Listener"] for d in balancer.get("ListenerDescriptions", [])]
        current_keys = dict((self._classic_listener_key(item), item) for item in current)
        wanted_keys = dict((self._classic_listener_key(item), item) for item in wanted_listeners)
        check = self.params.get("health_check")
        current_check = balancer.get("HealthCheck") or {}
        attributes = client.describe_load_balancer_attributes(LoadBalancerName=name)["LoadBalancerAttributes"]
        self.before = {
            "name": name, "type": "classic", "scheme": balancer.get("Scheme"),
            "subnets": sorted(balancer.get("Subnets", [])),
            "security_groups": sorted(balancer.get("SecurityGroups", [])),
            "listeners": sorted(current_keys),
            "health_check": dict(target=current_check.get("Target"), interval=current_check.get("Interval"),
                                 timeout=current_check.get("Timeout"),
                                 healthy_threshold=current_check.get("HealthyThreshold"),
                                 unhealthy_threshold=current_check.get("UnhealthyThreshold")),
            "cross_zone": (attributes.get("CrossZoneLoadBalancing") or {}).get("Enabled"),
            "idle_timeout": (attributes.get("ConnectionSettings") or {}).get("IdleTimeout"),
            "tags": tags,
        }
        # listeners cannot be modified; a changed one is deleted and created again on its port
        remove_ports = sorted(set(k[1] for k in current_keys if k not in wanted_keys))
        add = [item for key, item in wanted_keys.items() if key not in current_keys or key[1] in remove_ports]
        if remove_ports and self._change("remove classic listeners on ports %s" % remove_ports):
            # one port per call: moto 5.2 keeps listeners when several ports go in one call
            for port in remove_ports:
                client.delete_load_balancer_listeners(LoadBalancerName=name, LoadBalancerPorts=[port])
        if add and self._change("create classic listeners on ports %s" % sorted(i["LoadBalancerPort"] for i in add)):
            client.create_load_balancer_listeners(LoadBalancerName=name, Listeners=add)
        if check and self._classic_health_api(check) != dict(
                (k, current_check.get(k)) for k in ("Target", "Interval", "Timeout", "HealthyThreshold",
                                                    "UnhealthyThreshold")):
            if self._change("configure health check %s" % check["target"]):
                client.configure_health_check(LoadBalancerName=name, HealthCheck=self._classic_health_api(check))
        wanted_attrs = self._classic_attributes_wanted()
        differs = {}
        for key, value in wanted_attrs.items():
            if any((attributes.get(key) or {}).get(k) != v for k, v in value.items()):
                differs[key] = value
        if differs and self._change("set balancer attributes %s" % sorted(differs)):
            client.modify_load_balancer_attributes(LoadBalancerName=name, LoadBalancerAttributes=differs)
        subnets_now = set(balancer.get("Subnets", []))
        subnets_wanted = set(self.params["subnets"])
        if subnets_wanted - subnets_now and self._change("attach subnets %s" % sorted(subnets_wanted - subnets_now)):
            client.attach_load_balancer_to_subnets(LoadBalancerName=name, Subnets=sorted(subnets_wanted - subnets_now))
        if subnets_now - subnets_wanted and self._change("detach subnets %s" % sorted(subnets_now - subnets_wanted)):
            client.detach_load_balancer_from_subnets(LoadBalancerName=name, Subnets=sorted(subnets_now - subnets_wanted))
        groups = self.params.get("security_groups")
        if groups and sorted(groups) != sorted(balancer.get("SecurityGroups", [])):
            if self._change("apply security groups %s" % sorted(groups)):
                client.apply_security_groups_to_load_balancer(LoadBalancerName=name, SecurityGroups=groups)
        self._converge_tags_classic(client, tags)

    def _converge_tags_classic(self, client, tags):
        wanted = self._desired_tags()
        missing = dict((k, v) for k, v in wanted.items() if tags.get(k) != v)
        extra = [k for k in tags if k not in wanted] if self.params.get("purge_tags") else []
        if missing and self._change("tag balancer %s" % sorted(missing)):
            client.add_tags(LoadBalancerNames=[self.params["name"]], Tags=boto3_tag_list(missing))
        if extra and self._change("untag balancer %s" % sorted(extra)):
            client.remove_tags(LoadBalancerNames=[self.params["name"]], Tags=[{"Key": k} for k in extra])

    def _classic_absent(self):
        client = self.module.client("elb")
        balancer, tags = self._classic_describe(client)
        if balancer is None:
            return
        self._refuse_foreign("classic balancer", self.params["name"], tags)
        self.before = {"name": self.params["name"], "type": "classic", "dns_name": balancer.get("DNSName")}
        if self._change("delete classic balancer %s" % self.params["name"]):
            client.delete_load_balancer(LoadBalancerName=self.params["name"])

    # ================================================================= application
    def _alb_describe(self, client):
        try:
            found = client.describe_load_balancers(Names=[self.params["name"]])["LoadBalancers"]
        except ClientError as exc:
            if error_code(exc) == "LoadBalancerNotFound":
                return None
            raise
        return found[0] if found else None

    def _tags_for(self, client, arns):
        tags = {}
        arns = list(arns)
        for start in range(0, len(arns), 20):
            described = client.describe_tags(ResourceArns=arns[start:start + 20])["TagDescriptions"]
            for item in described:
                tags[item["ResourceArn"]] = tag_dict(item.get("Tags", []))
        return tags

    def _owned_target_groups(self, client, balancer_arn, tags_of_balancer=None):
        """Target groups that are declared, attached to this balancer or tagged for it.

        Returns (groups by name, tags by arn); tags also hold the balancer's own tags.
        """
        declared = set(g["name"] for g in self.params.get("target_groups") or [])
        candidates = []
        paginator = client.get_paginator("describe_target_groups")
        for page in paginator.paginate():
            for group in page["TargetGroups"]:
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
                    self._owned(group_tags) and group_tags.get(BALANCER_TAG) == self.params["name"]):
                groups[group["TargetGroupName"]] = group
        return groups, tags

    def _application_present(self):
        client = self.module.client("elbv2")
        name = self.params["name"]
        balancer = self._alb_describe(client)
        balancer_arn = balancer["LoadBalancerArn"] if balancer else None
        groups, tags = self._owned_target_groups(client, balancer_arn)
        self.after = self._application_desired()
        if balancer is None:
            self.before = {}
            if self._change("create application balancer %s" % name):
                kwargs = dict(Name=name, Subnets=self.params["subnets"], Scheme=self.params["scheme"],
                              Type="application", Tags=boto3_tag_list(self._desired_tags()))
                if self.params.get("security_groups"):
                    kwargs["SecurityGroups"] = self.params["security_groups"]
                balancer = client.create_load_balancer(**kwargs)["LoadBalancers"][0]
                balancer_arn = balancer["LoadBalancerArn"]
                if self.params.get("wait"):
                    balancer_active(self.module, client, balancer_arn)
                if self.params.get("idle_timeout") is not None:
                    client.modify_load_balancer_attributes(LoadBalancerArn=balancer_arn, Attributes=[
                        {"Key": "idle_timeout.timeout_seconds", "Value": str(self.params["idle_timeout"])}])
            else:
                # check mode: everything declared would be created
                for group in self.params.get("target_groups") or []:
                    if group["name"] in groups:
                        self._refuse_foreign("target group", group["name"], tags.get(groups[group["name"]]["TargetGroupArn"], {}))
                    else:
                        self._change("create target group %s" % group["name"])
                for listener in self.params.get("listeners") or []:
                    self._change("create listener %s" % listener["port"])
                return
            listeners = []
        else:
            self._refuse_foreign("application balancer", name, tags.get(balancer_arn, {}))
            self._alb_update(client, balancer, tags.get(balancer_arn, {}))
            listeners = client.describe_listeners(LoadBalancerArn=balancer_arn)["Listeners"]
        self.before.setdefault("target_groups", {})
        self.before.setdefault("listeners", {})
        group_arns = self._converge_target_groups(client, balancer, groups, tags)
        self._converge_listeners(client, balancer_arn, listeners, group_arns)
        self._delete_undeclared_groups(client, groups)
        if self.changes and not self.check_mode:
            balancer = self._alb_describe(client)
        self.result["load_balancer"] = {
            "name": name, "type": "application", "arn": balancer_arn, "dns_name": balancer.get("DNSName"),
            "canonical_hosted_zone_id": balancer.get("CanonicalHostedZoneId"), "scheme": balancer.get("Scheme"),
            "vpc_id": balancer.get("VpcId"),
            "subnets": sorted(z.get("SubnetId") for z in balancer.get("AvailabilityZones", [])),
            "security_groups": balancer.get("SecurityGroups", []),
        }
        self.result["target_groups"] = dict((k, v) for k, v in group_arns.items())

    def _application_desired(self):
        desired = {
            "name": self.params["name"], "type": "application", "scheme": self.params["scheme"],
            "subnets": sorted(self.params["subnets"]),
            "security_groups": sorted(self.params.get("security_groups") or []),
            "idle_timeout": self.params.get("idle_timeout"), "tags": self._desired_tags(),
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
                          client.describe_load_balancer_attributes(LoadBalancerArn=arn)["Attributes"])
        self.before = {
            "name": self.params["name"], "type": "application", "scheme": balancer.get("Scheme"),
            "subnets": subnets, "security_groups": sorted(balancer.get("SecurityGroups", [])),
            "idle_timeout": int(attributes.get("idle_timeout.timeout_seconds", 60)), "tags": tags,
        }
        if sorted(self.params["subnets"]) != subnets and self._change("set subnets %s" % sorted(self.params["subnets"])):
            client.set_subnets(LoadBalancerArn=arn, Subnets=self.params["subnets"])
        groups = self.params.get("security_groups")
        if groups and sorted(groups) != sorted(balancer.get("SecurityGroups", [])):
            if self._change("set security groups %s" % sorted(groups)):
                client.set_security_groups(LoadBalancerArn=arn, SecurityGroups=groups)
        idle = self.params.get("idle_timeout")
        if idle is not None and str(idle) != attributes.get("idle_timeout.timeout_seconds"):
            if self._change("set idle timeout %s" % idle):
                client.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=[
                    {"Key": "idle_timeout.timeout_seconds", "Value": str(idle)}])
        self._converge_tags_v2(client, arn, tags, self._desired_tags(), "balancer")

    def _converge_tags_v2(self, client, arn, tags, wanted, what):
        missing = dict((k, v) for k, v in wanted.items() if tags.get(k) != v)
        extra = [k for k in tags if k not in wanted] if self.params.get("purge_tags") else []
        if missing and self._change("tag %s %s" % (what, sorted(missing))):
            client.add_tags(ResourceArns=[arn], Tags=boto3_tag_list(missing))
        if extra and self._change("untag %s %s" % (what, sorted(extra))):
            client.remove_tags(ResourceArns=[arn], TagKeys=extra)

    def _converge_target_groups(self, client, balancer, groups, tags):
        group_arns = {}
        vpc_id = balancer.get("VpcId")
        for group in self.params.get("target_groups") or []:
            name = group["name"]
            wanted_tags = self._desired_tags({BALANCER_TAG: self.params["name"]})
            wanted_attrs = target_group_attributes(group)
            current = groups.get(name)
            if current is None:
                if not self._change("create target group %s" % name):
                    continue
                kwargs = dict(Name=name, Protocol=group["protocol"], Port=group["port"],
                              VpcId=group.get("vpc_id") or vpc_id, TargetType=group["target_type"],
                              Tags=boto3_tag_list(wanted_tags))
                kwargs.update(health_check_api(group.get("health_check")))
                created = client.create_target_group(**kwargs)["TargetGroups"][0]
                arn = created["TargetGroupArn"]
                if wanted_attrs:
                    client.modify_target_group_attributes(
                        TargetGroupArn=arn, Attributes=[{"Key": k, "Value": v} for k, v in sorted(wanted_attrs.items())])
                group_arns[name] = arn
                continue
            arn = current["TargetGroupArn"]
            group_arns[name] = arn
            self._refuse_foreign("target group", name, tags.get(arn, {}))
            for key, api_key in (("protocol", "Protocol"), ("port", "Port"), ("target_type", "TargetType")):
                if str(current.get(api_key)) != str(group[key]):
                    raise BalancerError(
                        "target group %s: %s is %s and cannot change in place; declare a target group with "
                        "a new name instead" % (name, key, current.get(api_key)))
            if group.get("vpc_id") and current.get("VpcId") != group["vpc_id"]:
                raise BalancerError("target group %s is in %s, not %s; declare a new name instead"
                                    % (name, current.get("VpcId"), group["vpc_id"]))
            current_attrs = dict((a["Key"], a["Value"]) for a in
                                 client.describe_target_group_attributes(TargetGroupArn=arn)["Attributes"])
            self.before["target_groups"][name] = {
                "protocol": current.get("Protocol"), "port": current.get("Port"),
                "target_type": current.get("TargetType"),
                "health_check": dict((k, current.get(k)) for k in health_check_api(group.get("health_check"))),
                "attributes": dict((k, current_attrs.get(k)) for k in wanted_attrs),
            }
            check_changes = health_check_changes(current, group.get("health_check"))
            if check_changes and self._change("modify health check of %s: %s" % (name, sorted(check_changes))):
                client.modify_target_group(TargetGroupArn=arn, **check_changes)
            attr_changes = dict_changes(current_attrs, wanted_attrs)
            if attr_changes and self._change("modify attributes of %s: %s" % (name, sorted(attr_changes))):
                client.modify_target_group_attributes(
                    TargetGroupArn=arn, Attributes=[{"Key": k, "Value": v} for k, v in sorted(attr_changes.items())])
            self._converge_tags_v2(client, arn, tags.get(arn, {}), wanted_tags, "target group %s" % name)
        return group_arns

    def _converge_listeners(self, client, balancer_arn, listeners, group_arns):
        by_port = dict((item["Port"], item) for item in listeners)
        declared = dict((item["port"], item) for item in self.params.get("listeners") or [])
        for port, item in sorted(by_port.items()):
            if port not in declared and self._change("delete listener %s" % port):
                client.delete_listener(ListenerArn=item["ListenerArn"])
        for port, listener in sorted(declared.items()):
            default_action = action_api(listener["default_action"], group_arns)
            current = by_port.get(port)
            if current is None:
                if not self._change("create listener %s" % port):
                    continue
                kwargs = dict(LoadBalancerArn=balancer_arn, Port=port, Protocol=listener["protocol"],
                              DefaultActions=[default_action])
                if listener.get("certificate_arn"):
                    kwargs["Certificates"] = [{"CertificateArn": listener["certificate_arn"]}]
                if listener.get("ssl_policy"):
                    kwargs["SslPolicy"] = listener["ssl_policy"]
                created = client.create_listener(**kwargs)["Listeners"][0]
                if listener.get("extra_certificate_arns"):
                    client.add_listener_certificates(
                        ListenerArn=created["ListenerArn"],
                        Certificates=[{"CertificateArn": c} for c in listener["extra_certificate_arns"]])
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
            if modify and self._change("modify listener %s: %s" % (port, sorted(modify))):
                if "Protocol" in modify or "Certificates" in modify:
                    modify.setdefault("Protocol", listener["protocol"])
                client.modify_listener(ListenerArn=arn, **modify)
            if listener["protocol"] == "HTTPS":
                self._converge_extra_certificates(client, arn, port, listener)
            rules = client.describe_rules(ListenerArn=arn)["Rules"]
            self._converge_rules(client, arn, port, listener, rules, group_arns)

    def _converge_extra_certificates(self, client, arn, port, listener):
        described = client.describe_listener_certificates(ListenerArn=arn)["Certificates"]
        current = set(c["CertificateArn"] for c in described if not c.get("IsDefault"))
        current.discard(listener.get("certificate_arn"))
        wanted = set(listener.get("extra_certificate_arns") or [])
        self.before["listeners"][str(port)]["extra_certificate_arns"] = sorted(current)
        if wanted - current and self._change("add certificates to listener %s" % port):
            client.add_listener_certificates(ListenerArn=arn, Certificates=[
                {"CertificateArn": c} for c in sorted(wanted - current)])
        if current - wanted and self._change("remove certificates from listener %s" % port):
            client.remove_listener_certificates(ListenerArn=arn, Certificates=[
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
            if priority not in declared and self._change("delete rule %s of listener %s" % (priority, port)):
                client.delete_rule(RuleArn=rule["RuleArn"])
        for priority, rule in sorted(declared.items()):
            conditions = conditions_api(rule["conditions"])
            action = action_api(rule["action"], group_arns)
            existing = current.get(priority)
            if existing is None:
                if self._change("create rule %s of listener %s" % (priority, port)):
                    client.create_rule(ListenerArn=listener_arn, Priority=priority,
                                       Conditions=conditions, Actions=[action])
                continue
            same_conditions = _conditions_current(existing.get("Conditions")) == _conditions_wanted(rule["conditions"])
            same_action = [action_key(a) for a in existing.get("Actions", [])] == [action_key(action)]
            if not (same_conditions and same_action):
                if self._change("modify rule %s of listener %s" % (priority, port)):
                    client.modify_rule(RuleArn=existing["RuleArn"], Conditions=conditions, Actions=[action])

    def _delete_undeclared_groups(self, client, groups):
        declared = set(g["name"] for g in self.params.get("target_groups") or [])
        for name, group in sorted(groups.items()):
            if name in declared:
                continue
            if self._change("delete target group %s" % name):
                self._delete_target_group(client, name, group["TargetGroupArn"])

    def _delete_target_group(self, client, name, arn):
        """Delete a target group; AWS reports it in use for a moment after its listener went."""
        def attempt():
            try:
                client.delete_target_group(TargetGroupArn=arn)
            except ClientError as exc:
                if error_code(exc) == "ResourceInUse":
                    return False, "still in use"
                raise
            return True, "deleted"
        wait_for(self.module, "target group %s deleted" % name, attempt,
                 min(120, self.params.get("wait_timeout") or 120), delay=5)

    def _application_absent(self):
        client = self.module.client("elbv2")
        balancer = self._alb_describe(client)
        balancer_arn = balancer["LoadBalancerArn"] if balancer else None
        groups, tags = self._owned_target_groups(client, balancer_arn)
        if balancer is not None:
            self._refuse_foreign("application balancer", self.params["name"], tags.get(balancer_arn, {}))
        # only groups made for this balancer (tagged so), declared or not
        owned = dict((n, g) for n, g in groups.items()
                     if self._owned(tags.get(g["TargetGroupArn"], {}))
                     and tags.get(g["TargetGroupArn"], {}).get(BALANCER_TAG) == self.params["name"])
        self.before = {"name": self.params["name"], "type": "application",
                       "exists": balancer is not None, "target_groups": sorted(owned)}
        if balancer is not None:
            if self._change("delete application balancer %s with its listeners and rules" % self.params["name"]):
                # listeners first so that the target groups are free to delete right after
                for listener in client.describe_listeners(LoadBalancerArn=balancer_arn)["Listeners"]:
                    client.delete_listener(ListenerArn=listener["ListenerArn"])
                client.delete_load_balancer(LoadBalancerArn=balancer_arn)
        for name, group in sorted(owned.items()):
            if self._change("delete target group %s" % name):
                self._delete_target_group(client, name, group["TargetGroupArn"])
