# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Classic load balancers (``aws_balancer`` with ``type=classic``): listeners, health check,
attributes, subnets, security groups and tags, converged by one task."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.alb import (
    APPLICATION_ONLY,
    BalancerConverger,
    BalancerError,
    check_balancer,
    present,
    valid_port,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.retries import error_code
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import boto3_tag_list, tag_changes, tag_dict

try:
    from botocore.exceptions import ClientError
except ImportError:  # reported by the shared AWS module class
    ClientError = Exception

CLASSIC_HEALTH_TARGET = re.compile(r"^(HTTP|HTTPS):(\d{1,5})(/.*)$|^(TCP|SSL):(\d{1,5})$")
CLASSIC_PROTOCOLS = ("HTTP", "HTTPS", "TCP", "SSL")


def validate(params):
    """Check a classic balancer task without calling AWS."""
    check_balancer(params, _validate_classic)


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
        wrong = [k for k in APPLICATION_ONLY if present(listener.get(k))]
        if wrong:
            errors.append("%s: %s only for type=application" % (where, ", ".join(wrong)))
        for key in ("load_balancer_port", "instance_port"):
            if listener.get(key) is None:
                errors.append("%s: %s is required for a classic listener" % (where, key))
            elif not valid_port(listener[key]):
                errors.append("%s: %s %r must be 1..65535" % (where, key, listener[key]))
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


class ClassicBalancer(BalancerConverger):
    """Converges one classic balancer."""

    kind_errors = staticmethod(_validate_classic)

    def _classic_describe(self, client):
        try:
            found = client.describe_load_balancers(aws_retry=True, LoadBalancerNames=[self.params["name"]])
        except ClientError as exc:
            if error_code(exc) in ("LoadBalancerNotFound", "AccessPointNotFound"):
                return None, {}
            raise
        balancer = found["LoadBalancerDescriptions"][0]
        described = client.describe_tags(aws_retry=True, LoadBalancerNames=[self.params["name"]])["TagDescriptions"]
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
        # The back-end protocol is compared by family (TCP/SSL, HTTP/HTTPS) behind an SSL or HTTPS
        # front: moto 5.2.5 describes every such listener with InstanceProtocol equal to Protocol,
        # so an exact comparison would recreate a TLS-terminating listener on every run. The cost:
        # a back end switched between TCP and SSL (or HTTP and HTTPS) outside the module is not
        # put back (docs/aws-modules.md, "What the local stand-in does not check").
        front, back = item["Protocol"].upper(), item["InstanceProtocol"].upper()
        if front in ("SSL", "HTTPS"):
            back = {"SSL": "TCP", "HTTPS": "HTTP"}.get(back, back)
        return (front, item["LoadBalancerPort"], back, item["InstancePort"], item.get("SSLCertificateId") or None)

    def read(self):
        self.found = self._classic_describe(self.client("elb"))

    def present(self):
        client = self.client("elb")
        name = self.params["name"]
        balancer, tags = self.found
        wanted_listeners = [self._classic_listener(item) for item in self.params["listeners"]]
        check = self.params.get("health_check")
        self.after = {
            "name": name, "type": "classic", "scheme": self.params["scheme"],
            "subnets": sorted(self.params["subnets"]),
            "security_groups": sorted(self.params.get("security_groups") or []),
            "listeners": sorted(self._classic_listener_key(i) for i in wanted_listeners),
            "health_check": check, "cross_zone": self.params.get("cross_zone"),
            "idle_timeout": self.params.get("idle_timeout"), "tags": self.deployment_tags(),
        }
        if balancer is None:
            self.before = {}
            if self.change("create classic balancer %s" % name):
                kwargs = dict(LoadBalancerName=name, Listeners=wanted_listeners, Subnets=self.params["subnets"],
                              Scheme=self.params["scheme"], Tags=boto3_tag_list(self.deployment_tags()))
                if self.params.get("security_groups"):
                    kwargs["SecurityGroups"] = self.params["security_groups"]
                # CreateLoadBalancer takes no client token: after a failure, look for it first
                client.create_once("create_load_balancer", lambda: self._classic_describe(client)[0], **kwargs)
            if check:
                self.change("configure health check %s" % check["target"])
                if not self.check_mode:
                    client.configure_health_check(aws_retry=True, LoadBalancerName=name, HealthCheck=self._classic_health_api(check))
            attributes = self._classic_attributes_wanted()
            if attributes and self.change("set balancer attributes"):
                client.modify_load_balancer_attributes(aws_retry=True, LoadBalancerName=name, LoadBalancerAttributes=attributes)
            if not self.check_mode:
                balancer, tags = self._classic_describe(client)
        else:
            self.refuse_foreign("classic balancer", name, tags)
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
        attributes = client.describe_load_balancer_attributes(aws_retry=True, LoadBalancerName=name)["LoadBalancerAttributes"]
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
        if remove_ports and self.change("remove classic listeners on ports %s" % remove_ports):
            # one port per call: moto 5.2 keeps listeners when several ports go in one call
            for port in remove_ports:
                client.delete_load_balancer_listeners(aws_retry=True, LoadBalancerName=name, LoadBalancerPorts=[port])
        if add and self.change("create classic listeners on ports %s" % sorted(i["LoadBalancerPort"] for i in add)):
            # documented as idempotent for a listener of the same settings: safe to re-send
            client.create_load_balancer_listeners(aws_retry=True, LoadBalancerName=name, Listeners=add)
        if check and self._classic_health_api(check) != dict(
                (k, current_check.get(k)) for k in ("Target", "Interval", "Timeout", "HealthyThreshold",
                                                    "UnhealthyThreshold")):
            if self.change("configure health check %s" % check["target"]):
                client.configure_health_check(aws_retry=True, LoadBalancerName=name, HealthCheck=self._classic_health_api(check))
        wanted_attrs = self._classic_attributes_wanted()
        differs = {}
        for key, value in wanted_attrs.items():
            if any((attributes.get(key) or {}).get(k) != v for k, v in value.items()):
                differs[key] = value
        if differs and self.change("set balancer attributes %s" % sorted(differs)):
            client.modify_load_balancer_attributes(aws_retry=True, LoadBalancerName=name, LoadBalancerAttributes=differs)
        subnets_now = set(balancer.get("Subnets", []))
        subnets_wanted = set(self.params["subnets"])
        if subnets_wanted - subnets_now and self.change("attach subnets %s" % sorted(subnets_wanted - subnets_now)):
            client.attach_load_balancer_to_subnets(aws_retry=True, LoadBalancerName=name, Subnets=sorted(subnets_wanted - subnets_now))
        if subnets_now - subnets_wanted and self.change("detach subnets %s" % sorted(subnets_now - subnets_wanted)):
            client.detach_load_balancer_from_subnets(aws_retry=True, LoadBalancerName=name, Subnets=sorted(subnets_now - subnets_wanted))
        groups = self.params.get("security_groups")
        if groups and sorted(groups) != sorted(balancer.get("SecurityGroups", [])):
            if self.change("apply security groups %s" % sorted(groups)):
                client.apply_security_groups_to_load_balancer(aws_retry=True, LoadBalancerName=name, SecurityGroups=groups)
        self._converge_tags_classic(client, tags)

    def _converge_tags_classic(self, client, tags):
        wanted = self.deployment_tags()
        missing, extra = tag_changes(tags, wanted, purge=self.params.get("purge_tags"))
        if missing and self.change("tag balancer %s" % sorted(missing)):
            client.add_tags(aws_retry=True, LoadBalancerNames=[self.params["name"]], Tags=boto3_tag_list(missing))
        if extra and self.change("untag balancer %s" % sorted(extra)):
            client.remove_tags(aws_retry=True, LoadBalancerNames=[self.params["name"]], Tags=[{"Key": k} for k in extra])

    def absent(self):
        client = self.client("elb")
        balancer, tags = self.found
        if balancer is None:
            return
        self.refuse_foreign("classic balancer", self.params["name"], tags)
        self.before = {"name": self.params["name"], "type": "classic", "dns_name": balancer.get("DNSName")}
        if self.change("delete classic balancer %s" % self.params["name"]):
            client.delete_load_balancer(aws_retry=True, LoadBalancerName=self.params["name"])
