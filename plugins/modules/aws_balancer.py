#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: aws_balancer
short_description: Classic, Application or Network Load Balancer with its listeners, target groups and rules
version_added: 0.1.0
description:
  - Creates, converges and removes one AWS load balancer together with everything it owns.
  - For O(type=classic) that is the balancer, its listeners, its health check (for example
    V(HTTP:8081/?action=stat)), cross-zone balancing and the idle timeout.
  - For O(type=application) that is the balancer, its target groups (health check, algorithm,
    stickiness, deregistration delay), its listeners (certificates, SSL policy, default action)
    and the listeners' rules (host, path, HTTP header or query-string conditions).
  - For O(type=network) that is the balancer (cross-zone balancing), its target groups (V(TCP),
    V(UDP), V(TCP_UDP) or V(TLS); health checks over V(TCP) by default, or V(HTTP)/V(HTTPS)) and its
    listeners (V(TCP), V(UDP), V(TCP_UDP), V(TLS) with certificate and SSL policy), each forwarding
    to one target group; for example RTMP on 1935/TCP and SRT on 4200/UDP.
  - Missing parts are created, changed parts are modified in place, and listeners, rules and
    target groups that the task no longer declares are deleted when the collection created them
    (target groups carry the tags C(streamfleet:deployment) and C(streamfleet:balancer)).
  - An existing balancer or target group without this deployment's tag is never adopted or
    changed; the module fails instead.
  - The whole task is validated before any AWS call that changes something (an HTTPS listener
    without certificate, an unknown target-group attribute, a forward to an undeclared target
    group, duplicate rule priorities, a port outside 1..65535, a listener protocol its target group
    cannot take and so on), so a task that cannot succeed creates nothing.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
  - streamfleet.cluster.tags
attributes:
  check_mode:
    support: full
    description: Reports what would change without calling any AWS operation that changes something.
  diff_mode:
    support: full
    description: Returns the current and the declared state of the balancer and its parts.
options:
  name:
    description:
      - Name of the load balancer (unique per region and type).
      - Required unless O(balancers) is given.
    type: str
  balancers:
    description:
      - Several load balancers in one task (one Python process and one set of clients for all of
        them, instead of one task each), converged in their order; for example the application
        balancer and the ingest network balancer of a cluster.
      - Each entry is a dict of this module's per-balancer options (O(name), O(type), O(state),
        O(scheme), O(subnets), O(security_groups), O(idle_timeout), O(cross_zone),
        O(health_check), O(target_groups), O(listeners)); an option an entry leaves out is the
        task's own, so the options the balancers share are given once at the top level.
      - O(deployment), O(tags), O(purge_tags), O(wait), O(wait_timeout) and the connection
        options are the task's, the same for every balancer.
      - Every entry is checked (types, required options, listeners, rules, target groups) before
        any call; a bad entry fails the task before anything changes. A failing entry's message
        names the balancers converged before it; their results are in RV(results).
      - Mutually exclusive with O(name).
    type: list
    elements: dict
  type:
    description:
      - V(classic) for a Classic Load Balancer, V(application) for an Application Load Balancer,
        V(network) for a Network Load Balancer.
      - The type of an existing balancer cannot change; the module fails instead.
    type: str
    choices: [classic, application, network]
    default: application
  state:
    description:
      - V(present) creates or converges the balancer.
      - V(absent) deletes the balancer, its listeners and rules, and the target groups created for it.
    type: str
    choices: [present, absent]
    default: present
  deployment:
    description: The deployment the balancer belongs to (value of the C(streamfleet:deployment) tag).
    type: str
    required: true
  scheme:
    description: V(internet-facing) or V(internal); cannot change after creation.
    type: str
    choices: [internet-facing, internal]
    default: internet-facing
  subnets:
    description: Subnet ids the balancer is placed in (an application balancer needs two zones).
    type: list
    elements: str
  security_groups:
    description: Security group ids of the balancer.
    type: list
    elements: str
  idle_timeout:
    description: Idle connection timeout in seconds; not for O(type=network).
    type: int
  cross_zone:
    description: Cross-zone load balancing; for O(type=classic) and O(type=network) (always on for application balancers).
    type: bool
  health_check:
    description: Health check of a classic balancer; only for O(type=classic).
    type: dict
    suboptions:
      target:
        description: What to check, V(HTTP:8081/?action=stat), V(HTTPS:443/health), V(TCP:5080) or V(SSL:443).
        type: str
        required: true
      interval:
        description: Seconds between checks.
        type: int
        default: 30
      timeout:
        description: Seconds before a check counts as failed; shorter than O(health_check.interval).
        type: int
        default: 5
      healthy_threshold:
        description: Consecutive successes before an instance is healthy.
        type: int
        default: 3
      unhealthy_threshold:
        description: Consecutive failures before an instance is unhealthy.
        type: int
        default: 5
  target_groups:
    description:
      - Target groups of an application or network balancer. Protocol, port, VPC and target type
        cannot change in place; declare a new name instead.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Target group name (1-32 letters, digits, hyphens).
        type: str
        required: true
      protocol:
        description:
          - Protocol to the targets; V(HTTP) or V(HTTPS) for O(type=application), V(TCP), V(UDP),
            V(TCP_UDP) or V(TLS) for O(type=network).
          - A network listener forwards V(TCP) to V(TCP) or V(TCP_UDP), V(UDP) to V(UDP) or V(TCP_UDP),
            V(TLS) to V(TCP) or V(TLS), V(TCP_UDP) to V(TCP_UDP).
        type: str
        choices: [HTTP, HTTPS, TCP, UDP, TCP_UDP, TLS]
        default: HTTP
      port:
        description: Port of the targets (1..65535).
        type: int
        required: true
      vpc_id:
        description: VPC of the targets; defaults to the balancer's VPC.
        type: str
      target_type:
        description: What is registered.
        type: str
        choices: [instance, ip]
        default: instance
      health_check:
        description: Health check; only the keys given are enforced.
        type: dict
        suboptions:
          protocol:
            description: Protocol of the check; V(TCP) (the default of network target groups) only for O(type=network).
            type: str
            choices: [HTTP, HTTPS, TCP]
          port:
            description: Port of the check, a number or V(traffic-port).
            type: str
          path:
            description: Path of the check.
            type: str
          interval:
            description: Seconds between checks.
            type: int
          timeout:
            description: Seconds before a check counts as failed.
            type: int
          healthy_threshold:
            description: Consecutive successes before healthy.
            type: int
          unhealthy_threshold:
            description: Consecutive failures before unhealthy.
            type: int
          matcher:
            description: HTTP codes that count as healthy, for example V(200) or V(200-299).
            type: str
      algorithm:
        description: Routing algorithm; only for O(type=application).
        type: str
        choices: [round_robin, least_outstanding_requests, weighted_random]
      stickiness:
        description: Session stickiness.
        type: dict
        suboptions:
          enabled:
            description: Whether stickiness is on.
            type: bool
            default: true
          type:
            description: Cookie kind (O(type=application)), or V(source_ip) (the only kind of O(type=network)).
            type: str
            choices: [lb_cookie, app_cookie, source_ip]
            default: lb_cookie
          duration:
            description: Cookie duration in seconds.
            type: int
          cookie_name:
            description: Application cookie name (O(target_groups[].stickiness.type=app_cookie)).
            type: str
      deregistration_delay:
        description: Seconds to drain a target before it is removed.
        type: int
      attributes:
        description:
          - Further target-group attributes by their AWS key, for example
            C(slow_start.duration_seconds). Unknown keys are rejected before anything changes.
        type: dict
  listeners:
    description:
      - Listeners. For O(type=classic) use O(listeners[].protocol), O(listeners[].load_balancer_port),
        O(listeners[].instance_protocol), O(listeners[].instance_port) and O(listeners[].ssl_certificate_id).
      - For O(type=application) use O(listeners[].protocol), O(listeners[].port),
        O(listeners[].certificate_arn), O(listeners[].extra_certificate_arns), O(listeners[].ssl_policy),
        O(listeners[].default_action) and O(listeners[].rules).
      - For O(type=network) the same without O(listeners[].rules); O(listeners[].default_action) is a
        V(forward).
    type: list
    elements: dict
    default: []
    suboptions:
      protocol:
        description: V(HTTP), V(HTTPS) (classic, application), V(TCP) (classic, network), V(SSL) (classic), V(UDP), V(TCP_UDP), V(TLS) (network).
        type: str
        required: true
      port:
        description: Port of an application or network listener (1..65535).
        type: int
      load_balancer_port:
        description: Port of a classic listener.
        type: int
      instance_protocol:
        description: Protocol to the instances of a classic listener; defaults to O(listeners[].protocol).
        type: str
      instance_port:
        description: Instance port of a classic listener.
        type: int
      ssl_certificate_id:
        description: Certificate ARN of a classic HTTPS/SSL listener.
        type: str
      certificate_arn:
        description: Default certificate of an HTTPS (application) or TLS (network) listener (required for those).
        type: str
      extra_certificate_arns:
        description: More certificates (SNI) of an HTTPS or TLS listener.
        type: list
        elements: str
      ssl_policy:
        description: SSL policy of an HTTPS or TLS listener, for example V(ELBSecurityPolicy-TLS13-1-2-2021-06).
        type: str
      default_action:
        description: What an application listener does with a request no rule matches.
        type: dict
        suboptions: &action
          type:
            description: Kind of action.
            type: str
            choices: [forward, redirect, fixed_response]
            required: true
          target_group:
            description: Name of a target group declared in O(target_groups) (for V(forward)).
            type: str
          redirect:
            description: Redirect target (for V(redirect)); parts not given keep the request's value.
            type: dict
            suboptions:
              protocol:
                description: V(HTTP) or V(HTTPS).
                type: str
              port:
                description: Port.
                type: str
              host:
                description: Host.
                type: str
              path:
                description: Path.
                type: str
              query:
                description: Query string.
                type: str
              status_code:
                description: V(HTTP_301) or V(HTTP_302).
                type: str
                choices: [HTTP_301, HTTP_302]
          fixed_response:
            description: Fixed answer (for V(fixed_response)).
            type: dict
            suboptions:
              status_code:
                description: HTTP status code.
                type: str
              content_type:
                description: Content type.
                type: str
              message_body:
                description: Body.
                type: str
      rules:
        description: Rules of an application listener, matched by O(listeners[].rules[].priority).
        type: list
        elements: dict
        suboptions:
          priority:
            description: Priority 1..50000, unique per listener.
            type: int
            required: true
          conditions:
            description: When the rule applies (all given conditions must match).
            type: dict
            required: true
            suboptions:
              host_header:
                description: Host names (wildcards allowed).
                type: list
                elements: str
              path_pattern:
                description: Path patterns (wildcards allowed).
                type: list
                elements: str
              http_header:
                description: A request header and the values it may have.
                type: dict
                suboptions:
                  name:
                    description: Header name.
                    type: str
                    required: true
                  values:
                    description: Accepted values.
                    type: list
                    elements: str
                    required: true
              query_string:
                description: Query-string key/value pairs (key may be omitted).
                type: list
                elements: dict
                suboptions:
                  key:
                    description: Parameter name.
                    type: str
                  value:
                    description: Parameter value.
                    type: str
                    required: true
          action:
            description: What the rule does; same form as O(listeners[].default_action).
            type: dict
            required: true
            suboptions: *action
notes:
  - moto, the local stand-in used by the tests, accepts unknown target-group attributes and
    returns a placeholder hosted zone id for application balancers; the module validates the
    attributes itself.
'''

EXAMPLES = r'''
- name: Classic balancer for the WCS edge group (seed 000)
  streamfleet.cluster.aws_balancer:
    name: wcs-edge
    type: classic
    deployment: cdn
    subnets: "{{ subnet_ids }}"
    security_groups: ["{{ balancer_sg }}"]
    cross_zone: true
    idle_timeout: 60
    listeners:
      - {protocol: HTTP, load_balancer_port: 8080, instance_port: 8080}
      - {protocol: TCP, load_balancer_port: 8443, instance_port: 8443}
    health_check:
      target: "HTTP:8081/?action=stat"
      interval: 30
      timeout: 5
      healthy_threshold: 3
      unhealthy_threshold: 5

- name: Application balancer for Stream Managers (seed 001)
  streamfleet.cluster.aws_balancer:
    name: streammanager
    deployment: red5
    subnets: "{{ subnet_ids }}"
    security_groups: ["{{ balancer_sg }}"]
    target_groups:
      - name: streammanager-5080
        port: 5080
        algorithm: least_outstanding_requests
        stickiness: {type: lb_cookie, duration: 3600}
        deregistration_delay: 30
        health_check: {path: /, interval: 30, timeout: 5, healthy_threshold: 3, unhealthy_threshold: 5}
    listeners:
      - port: 80
        protocol: HTTP
        default_action:
          type: redirect
          redirect: {protocol: HTTPS, port: "443", status_code: HTTP_301}
      - port: 443
        protocol: HTTPS
        certificate_arn: "{{ certificate_arn }}"
        default_action: {type: forward, target_group: streammanager-5080}
        rules:
          - priority: 10
            conditions: {path_pattern: ["/streammanager/api/*"]}
            action: {type: forward, target_group: streammanager-5080}
  register: balancer

- name: Network balancer for RTMP and SRT ingest to the Ant Media origins (vendor CloudFormation)
  streamfleet.cluster.aws_balancer:
    name: antmedia-ingest
    type: network
    deployment: ams
    subnets: "{{ subnet_ids }}"
    security_groups: ["{{ ingest_sg }}"]
    cross_zone: true
    target_groups:
      - name: antmedia-rtmp
        protocol: TCP
        port: 1935
        health_check: {protocol: TCP, interval: 30, healthy_threshold: 3, unhealthy_threshold: 3}
      - name: antmedia-srt
        protocol: UDP
        port: 4200
        health_check: {protocol: TCP, port: "5080"}
    listeners:
      - {port: 1935, protocol: TCP, default_action: {type: forward, target_group: antmedia-rtmp}}
      - {port: 4200, protocol: UDP, default_action: {type: forward, target_group: antmedia-srt}}

- name: Both balancers of a cluster in one task (the shared options once)
  streamfleet.cluster.aws_balancer:
    deployment: ams
    subnets: "{{ subnet_ids }}"
    balancers:
      - name: antmedia
        security_groups: ["{{ balancer_sg }}"]
        target_groups: [{name: antmedia-origin, port: 5080}]
        listeners: [{port: 80, protocol: HTTP, default_action: {type: forward, target_group: antmedia-origin}}]
      - name: antmedia-ingest
        type: network
        cross_zone: true
        target_groups: [{name: antmedia-rtmp, protocol: TCP, port: 1935}]
        listeners: [{port: 1935, protocol: TCP, default_action: {type: forward, target_group: antmedia-rtmp}}]
  register: balancers

- name: Remove the balancer with its listeners, rules and target groups
  streamfleet.cluster.aws_balancer:
    name: streammanager
    deployment: red5
    state: absent
'''

RETURN = r'''
results:
  description:
    - With O(balancers), one result per entry in their order, each with the keys below
      (C(changed), C(changes), C(diff) included); the task's C(changed) is true when any entry
      changed and its C(changes) names each entry's changes.
  returned: when O(balancers) is given
  type: list
  elements: dict
  sample: [{"load_balancer": {"name": "antmedia", "type": "application"}, "changed": false, "changes": []}]
load_balancer:
  description: The balancer after the run (absent when it does not exist, or in check mode before creation).
  returned: when state=present and the balancer exists
  type: dict
  sample:
    name: streammanager
    type: application
    arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/streammanager/50dc6c495c0c9188
    dns_name: streammanager-1234567890.us-east-1.elb.amazonaws.com
    canonical_hosted_zone_id: Z35SXDOTRQ7X7K
    scheme: internet-facing
    vpc_id: vpc-0abc
    subnets: [subnet-1, subnet-2]
    security_groups: [sg-1]
target_groups:
  description: ARN of each declared target group by name.
  returned: when type is application or network and state=present
  type: dict
  sample: {streammanager-5080: "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/streammanager-5080/73e2d6bc24d8a067"}
changes:
  description: What the module changed (or would change in check mode), one line each.
  returned: always
  type: list
  elements: str
  sample: ["create target group streammanager-5080", "create listener 443"]
api_calls:
  description: Number of AWS calls made, per service.Operation.
  returned: always
  type: dict
  sample: {elbv2.DescribeLoadBalancers: 1, elbv2.DescribeTargetGroups: 1}
'''

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.alb import ApplicationBalancer, NetworkBalancer
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.classic_elb import ClassicBalancer
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import relaxed_spec, run_each
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge


def _action_spec():
    return dict(
        type=dict(type='str', required=True, choices=['forward', 'redirect', 'fixed_response']),
        target_group=dict(type='str'),
        redirect=dict(type='dict', options=dict(
            protocol=dict(type='str'), port=dict(type='str'), host=dict(type='str'),
            path=dict(type='str'), query=dict(type='str'),
            status_code=dict(type='str', choices=['HTTP_301', 'HTTP_302']),
        )),
        fixed_response=dict(type='dict', options=dict(
            status_code=dict(type='str'), content_type=dict(type='str'), message_body=dict(type='str'),
        )),
    )


# The options of the whole task: the same for every balancer of a ``balancers`` list.
TASK_OPTIONS = ('deployment', 'purge_tags')

CONVERGERS = {'classic': ClassicBalancer, 'application': ApplicationBalancer, 'network': NetworkBalancer}


def balancer_converger(module):
    """The converger of the balancer's type (the task's, or an entry's)."""
    return CONVERGERS[module.params['type']](module)


def argument_spec():
    """The single-balancer options (``name`` required)."""
    return dict(
        name=dict(type='str', required=True),
        type=dict(type='str', choices=['classic', 'application', 'network'], default='application'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        deployment=dict(type='str', required=True),
        purge_tags=dict(type='bool', default=False),
        scheme=dict(type='str', choices=['internet-facing', 'internal'], default='internet-facing'),
        subnets=dict(type='list', elements='str'),
        security_groups=dict(type='list', elements='str'),
        idle_timeout=dict(type='int'),
        cross_zone=dict(type='bool'),
        health_check=dict(type='dict', options=dict(
            target=dict(type='str', required=True),
            interval=dict(type='int', default=30),
            timeout=dict(type='int', default=5),
            healthy_threshold=dict(type='int', default=3),
            unhealthy_threshold=dict(type='int', default=5),
        )),
        target_groups=dict(type='list', elements='dict', default=[], options=dict(
            name=dict(type='str', required=True),
            protocol=dict(type='str', choices=['HTTP', 'HTTPS', 'TCP', 'UDP', 'TCP_UDP', 'TLS'], default='HTTP'),
            port=dict(type='int', required=True),
            vpc_id=dict(type='str'),
            target_type=dict(type='str', choices=['instance', 'ip'], default='instance'),
            health_check=dict(type='dict', options=dict(
                protocol=dict(type='str', choices=['HTTP', 'HTTPS', 'TCP']),
                port=dict(type='str'),
                path=dict(type='str'),
                interval=dict(type='int'),
                timeout=dict(type='int'),
                healthy_threshold=dict(type='int'),
                unhealthy_threshold=dict(type='int'),
                matcher=dict(type='str'),
            )),
            algorithm=dict(type='str', choices=['round_robin', 'least_outstanding_requests', 'weighted_random']),
            stickiness=dict(type='dict', options=dict(
                enabled=dict(type='bool', default=True),
                type=dict(type='str', choices=['lb_cookie', 'app_cookie', 'source_ip'], default='lb_cookie'),
                duration=dict(type='int'),
                cookie_name=dict(type='str'),
            )),
            deregistration_delay=dict(type='int'),
            attributes=dict(type='dict'),
        )),
        listeners=dict(type='list', elements='dict', default=[], options=dict(
            protocol=dict(type='str', required=True),
            port=dict(type='int'),
            load_balancer_port=dict(type='int'),
            instance_protocol=dict(type='str'),
            instance_port=dict(type='int'),
            ssl_certificate_id=dict(type='str'),
            certificate_arn=dict(type='str'),
            extra_certificate_arns=dict(type='list', elements='str'),
            ssl_policy=dict(type='str'),
            default_action=dict(type='dict', options=_action_spec()),
            rules=dict(type='list', elements='dict', options=dict(
                priority=dict(type='int', required=True),
                conditions=dict(type='dict', required=True, options=dict(
                    host_header=dict(type='list', elements='str'),
                    path_pattern=dict(type='list', elements='str'),
                    http_header=dict(type='dict', options=dict(
                        name=dict(type='str', required=True),
                        values=dict(type='list', elements='str', required=True),
                    )),
                    query_string=dict(type='list', elements='dict', options=dict(
                        key=dict(type='str', no_log=False),
                        value=dict(type='str', required=True),
                    )),
                )),
                action=dict(type='dict', required=True, options=_action_spec()),
            )),
        )),
    )


@module_edge
def main():
    spec = argument_spec()
    task_spec = dict((key, spec.pop(key)) for key in TASK_OPTIONS)
    balancer_spec = spec
    module = StreamfleetAWSModule(
        dict(relaxed_spec(balancer_spec), balancers=dict(type='list', elements='dict'), **task_spec),
        mutually_exclusive=[('name', 'balancers')],
        required_one_of=[('name', 'balancers')],
        supports_check_mode=True,
    )
    run_each(module, balancer_converger, 'balancers', balancer_spec,
             required_if=[('state', 'present', ['subnets'])])


if __name__ == '__main__':
    main()
