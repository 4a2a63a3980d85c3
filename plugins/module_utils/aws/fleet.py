# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Auto Scaling fleets for streamfleet.cluster: the group, its scaling policies, the CloudWatch
alarms wired to them, lifecycle hooks and the warm pool, converged by one task.

Validation is pure (no AWS calls); lookups that can fail (launch template, target group names)
run before the first call that changes something.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import ConvergeError, Converger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.retries import error_code
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import DEPLOYMENT_TAG
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.waiters import (
    balancer_healthy,
    group_deleted,
    instances_in_service,
)

try:
    from botocore.exceptions import ClientError
except ImportError:  # reported by the shared AWS module class
    ClientError = Exception

POLICY_TYPES = {"simple": "SimpleScaling", "step": "StepScaling", "target_tracking": "TargetTrackingScaling"}
COMPARISONS = {
    ">=": "GreaterThanOrEqualToThreshold", ">": "GreaterThanThreshold",
    "<=": "LessThanOrEqualToThreshold", "<": "LessThanThreshold",
}


class FleetError(ConvergeError):
    """Invalid task input or a state the module refuses to change; nothing was changed."""


def alarm_name(group_name, policy):
    return (policy.get("alarm") or {}).get("name") or "%s-%s" % (group_name, policy["name"])


def comparison_operator(value):
    return COMPARISONS.get(value, value)


def validate(params):
    """Check a fleet task without calling AWS; raise FleetError listing every problem."""
    if params.get("state", "present") == "absent":
        return
    errors = []
    template = params.get("launch_template") or {}
    if not (template.get("name") or template.get("id")):
        errors.append("launch_template: name or id is required")
    version = str(template.get("version") or "$Default")
    if version not in ("$Latest", "$Default") and not version.isdigit():
        errors.append("launch_template.version must be $Latest, $Default or a version number, not %r" % version)
    if not params.get("subnets"):
        errors.append("subnets: at least one subnet is required")
    low, high, desired = params.get("min_size"), params.get("max_size"), params.get("desired_capacity")
    if low is None or high is None:
        errors.append("min_size and max_size are required")
    else:
        if low < 0 or low > high:
            errors.append("min_size (%s) must be between 0 and max_size (%s)" % (low, high))
        if desired is not None and not low <= desired <= high:
            errors.append("desired_capacity (%s) must be between min_size (%s) and max_size (%s)"
                          % (desired, low, high))
    if params.get("wait_for_instances") and high is not None and params["wait_for_instances"] > high:
        errors.append("wait_for_instances (%s) is more than max_size (%s)" % (params["wait_for_instances"], high))
    names = set()
    alarms = set()
    for index, policy in enumerate(params.get("policies") or []):
        where = "policies[%d] (%s)" % (index, policy["name"])
        if policy["name"] in names:
            errors.append("%s: name declared twice" % where)
        names.add(policy["name"])
        kind = policy["type"]
        if kind == "simple" and policy.get("scaling_adjustment") is None:
            errors.append("%s: a simple policy needs scaling_adjustment" % where)
        if kind == "step":
            if not policy.get("steps"):
                errors.append("%s: a step policy needs steps" % where)
            for step in policy.get("steps") or []:
                if step.get("lower_bound") is None and step.get("upper_bound") is None:
                    errors.append("%s: each step needs lower_bound or upper_bound" % where)
        if kind != "simple" and policy.get("cooldown") is not None:
            errors.append("%s: cooldown only for simple policies (use estimated_instance_warmup)" % where)
        if kind == "target_tracking":
            if policy.get("target_value") is None:
                errors.append("%s: target tracking needs target_value" % where)
            if policy.get("alarm"):
                errors.append("%s: target tracking creates and owns its alarms; remove alarm" % where)
        elif kind in ("simple", "step") and policy.get("target_value") is not None:
            errors.append("%s: target_value only for target_tracking" % where)
        if policy.get("alarm"):
            name = alarm_name(params["name"], policy)
            if name in alarms:
                errors.append("%s: alarm name %s declared twice" % (where, name))
            alarms.add(name)
            if not name.startswith(params["name"]):
                # owned alarms are found by the group-name prefix
                errors.append("%s: alarm name must start with the group name %s" % (where, params["name"]))
    errors.extend(hook_errors(params.get("lifecycle_hooks")))
    errors.extend(warm_pool_errors(params.get("warm_pool")))
    errors.extend(notification_errors(params))
    errors.extend(scheduled_errors(params))
    errors.extend(mixed_errors(params.get("mixed_instances_policy")))
    if errors:
        raise FleetError("; ".join(errors))


# PutLifecycleHook, Amazon EC2 Auto Scaling API Reference
# (https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutLifecycleHook.html and the
# LifecycleHook data type): LifecycleHookName 1-255 characters of [A-Za-z0-9\-_\/]+;
# HeartbeatTimeout 30-7200 seconds; DefaultResult CONTINUE | ABANDON; NotificationMetadata
# 1-1023 characters; LifecycleTransition autoscaling:EC2_INSTANCE_LAUNCHING | _TERMINATING.
HOOK_NAME = re.compile(r"^[A-Za-z0-9\-_/]{1,255}$")
HOOK_HEARTBEAT_RANGE = (30, 7200)
HOOK_RESULTS = ("CONTINUE", "ABANDON")
HOOK_TRANSITIONS = ("autoscaling:EC2_INSTANCE_LAUNCHING", "autoscaling:EC2_INSTANCE_TERMINATING")
HOOK_METADATA_MAX = 1023
WARM_POOL_STATES = ("Stopped", "Running", "Hibernated")


def hook_errors(hooks):
    """Problems of the declared lifecycle hooks (the rules above), one line each."""
    errors = []
    seen = set()
    for index, hook in enumerate(hooks or []):
        name = hook.get("name") or ""
        where = "lifecycle_hooks[%d] (%s)" % (index, name)
        if not HOOK_NAME.match(name):
            errors.append("%s: name must be 1-255 characters of A-Z a-z 0-9 - _ /" % where)
        if name in seen:
            errors.append("lifecycle_hooks: %s declared twice" % name)
        seen.add(name)
        if hook.get("transition") not in HOOK_TRANSITIONS:
            errors.append("%s: transition must be one of %s, not %r" % (where, ", ".join(HOOK_TRANSITIONS),
                                                                        hook.get("transition")))
        timeout = hook.get("heartbeat_timeout")
        low, high = HOOK_HEARTBEAT_RANGE
        if timeout is None or not low <= timeout <= high:
            errors.append("%s: heartbeat_timeout must be between %d and %d seconds, not %s" % (where, low, high, timeout))
        if hook.get("default_result") not in HOOK_RESULTS:
            errors.append("%s: default_result must be CONTINUE or ABANDON, not %r" % (where, hook.get("default_result")))
        metadata = hook.get("notification_metadata")
        if metadata is not None and not 1 <= len(metadata) <= HOOK_METADATA_MAX:
            errors.append("%s: notification_metadata must be 1-%d characters (it has %d)"
                          % (where, HOOK_METADATA_MAX, len(metadata)))
    return errors


def warm_pool_errors(pool):
    """Problems of the declared warm pool, one line each."""
    if not pool or pool.get("state", "present") == "absent":
        return []
    errors = []
    low, prepared = pool.get("min_size"), pool.get("max_group_prepared_capacity")
    if low is None or low < 0:
        errors.append("warm_pool.min_size must be 0 or more, not %s" % low)
    if prepared is not None and prepared < 0:
        errors.append("warm_pool.max_group_prepared_capacity must be 0 or more (omit it for the group's max_size), not %s"
                      % prepared)
    if prepared is not None and low is not None and low > prepared:
        errors.append("warm_pool.min_size must not exceed warm_pool.max_group_prepared_capacity")
    if pool.get("pool_state") not in WARM_POOL_STATES:
        errors.append("warm_pool.pool_state must be one of %s, not %r" % (", ".join(WARM_POOL_STATES), pool.get("pool_state")))
    return errors


def hook_api(hook):
    """Declared hook as put_lifecycle_hook keyword arguments (without the group name)."""
    api = dict(LifecycleHookName=hook["name"], LifecycleTransition=hook["transition"],
               HeartbeatTimeout=hook["heartbeat_timeout"], DefaultResult=hook["default_result"])
    if hook.get("notification_metadata") is not None:
        api["NotificationMetadata"] = hook["notification_metadata"]
    return api


def hook_view(api):
    """A hook (declared or described) as the diff and the result show it."""
    view = dict(transition=api.get("LifecycleTransition"), heartbeat_timeout=api.get("HeartbeatTimeout"),
                default_result=api.get("DefaultResult"))
    if api.get("NotificationMetadata") is not None:
        view["notification_metadata"] = api["NotificationMetadata"]
    return view


def hook_differs(current, wanted):
    """True when the described hook differs in a key the task declares (metadata only when declared)."""
    return any(current.get(key) != value for key, value in wanted.items())


def warm_pool_api(pool):
    """Declared warm pool as put_warm_pool keyword arguments (without the group name)."""
    api = {"MinSize": pool["min_size"], "PoolState": pool["pool_state"],
           "InstanceReusePolicy": {"ReuseOnScaleIn": bool(pool.get("reuse_on_scale_in"))}}
    if pool.get("max_group_prepared_capacity") is not None:
        api["MaxGroupPreparedCapacity"] = pool["max_group_prepared_capacity"]
    return api


def warm_pool_view(config):
    """A warm pool configuration (declared or described) in comparable form; {} when there is none.

    MaxGroupPreparedCapacity -1 or absent both mean the default (max_size minus desired capacity);
    an absent InstanceReusePolicy means no reuse.
    """
    if not config:
        return {}
    prepared = config.get("MaxGroupPreparedCapacity")
    return dict(min_size=config.get("MinSize") or 0, pool_state=config.get("PoolState") or "Stopped",
                max_group_prepared_capacity=None if prepared in (None, -1) else prepared,
                reuse_on_scale_in=bool((config.get("InstanceReusePolicy") or {}).get("ReuseOnScaleIn")))


def plan_capacity(group, params):
    """What happens to the desired capacity of an existing group; a dict for the result.

    ``source`` says who decides: ``declared`` (desired_capacity given: it is set), ``scaler``
    (left as the scaling policies or an operator set it; DesiredCapacity is not sent) or
    ``clamped`` (a new min_size/max_size puts the current capacity outside the range: it
    moves to the nearest bound).
    """
    current = group.get("DesiredCapacity")
    declared = params.get("desired_capacity")
    if declared is not None:
        return dict(before=current, after=declared, source="declared")
    low, high = params["min_size"], params["max_size"]
    if current is not None and current < low:
        return dict(before=current, after=low, source="clamped", reason="below the new min_size %d" % low)
    if current is not None and current > high:
        return dict(before=current, after=high, source="clamped", reason="above the new max_size %d" % high)
    return dict(before=current, after=current, source="scaler")


def policy_api(group_name, policy):
    """Declared policy as put_scaling_policy keyword arguments."""
    kwargs = dict(AutoScalingGroupName=group_name, PolicyName=policy["name"], PolicyType=POLICY_TYPES[policy["type"]])
    if policy["type"] == "simple":
        kwargs["AdjustmentType"] = policy["adjustment_type"]
        kwargs["ScalingAdjustment"] = policy["scaling_adjustment"]
        if policy.get("cooldown") is not None:
            kwargs["Cooldown"] = policy["cooldown"]
    elif policy["type"] == "step":
        kwargs["AdjustmentType"] = policy["adjustment_type"]
        kwargs["MetricAggregationType"] = policy.get("metric_aggregation_type") or "Average"
        steps = []
        for step in policy["steps"]:
            item = {"ScalingAdjustment": step["adjustment"]}
            if step.get("lower_bound") is not None:
                item["MetricIntervalLowerBound"] = float(step["lower_bound"])
            if step.get("upper_bound") is not None:
                item["MetricIntervalUpperBound"] = float(step["upper_bound"])
            steps.append(item)
        kwargs["StepAdjustments"] = steps
    else:
        kwargs["TargetTrackingConfiguration"] = {
            "PredefinedMetricSpecification": {"PredefinedMetricType": policy["predefined_metric"]},
            "TargetValue": float(policy["target_value"]),
            "DisableScaleIn": bool(policy.get("disable_scale_in")),
        }
    if policy["type"] != "simple" and policy.get("estimated_instance_warmup") is not None:
        kwargs["EstimatedInstanceWarmup"] = policy["estimated_instance_warmup"]
    return kwargs


def policy_key(api):
    """Comparable form of a policy (declared put_scaling_policy kwargs or described policy)."""
    kind = api.get("PolicyType") or "SimpleScaling"
    key = {"type": kind}
    if kind in ("SimpleScaling", "StepScaling"):
        key["adjustment_type"] = api.get("AdjustmentType")
    if kind == "SimpleScaling":
        key["adjustment"] = api.get("ScalingAdjustment")
        if api.get("Cooldown") is not None:
            key["cooldown"] = api.get("Cooldown")
    if kind == "StepScaling":
        key["aggregation"] = api.get("MetricAggregationType") or "Average"
        key["steps"] = sorted(
            (_float(s.get("MetricIntervalLowerBound")), _float(s.get("MetricIntervalUpperBound")), s.get("ScalingAdjustment"))
            for s in api.get("StepAdjustments") or [])
    if kind == "TargetTrackingScaling":
        config = api.get("TargetTrackingConfiguration") or {}
        key["metric"] = (config.get("PredefinedMetricSpecification") or {}).get("PredefinedMetricType")
        key["target"] = _float(config.get("TargetValue"))
        key["disable_scale_in"] = bool(config.get("DisableScaleIn"))
    if kind != "SimpleScaling" and api.get("EstimatedInstanceWarmup") is not None:
        key["warmup"] = api.get("EstimatedInstanceWarmup")
    return key


def policy_differs(current, wanted_api):
    """True when the described policy differs in a key the task declares."""
    have = policy_key(current)
    want = policy_key(wanted_api)
    return any(have.get(k) != v for k, v in want.items())


def _float(value):
    return None if value is None else float(value)


def alarm_api(group_name, policy, policy_arn, tags, topics=None):
    """put_metric_alarm kwargs; ``topics`` (SNS ARNs) are alarm actions next to the policy."""
    alarm = policy["alarm"]
    kwargs = dict(
        AlarmName=alarm_name(group_name, policy),
        AlarmDescription=alarm.get("description") or "%s of %s (streamfleet.cluster)" % (policy["name"], group_name),
        MetricName=alarm["metric_name"], Namespace=alarm["namespace"], Statistic=alarm["statistic"],
        Dimensions=[{"Name": "AutoScalingGroupName", "Value": group_name}],
        Period=alarm["period"], EvaluationPeriods=alarm["evaluation_periods"],
        Threshold=float(alarm["threshold"]), ComparisonOperator=comparison_operator(alarm["comparison"]),
        ActionsEnabled=True, AlarmActions=([policy_arn] if policy_arn else []) + sorted(topics or []),
    )
    if tags:
        kwargs["Tags"] = [{"Key": k, "Value": v} for k, v in sorted(tags.items())]
    return kwargs


ALARM_KEYS = ("AlarmDescription", "MetricName", "Namespace", "Statistic", "Period", "EvaluationPeriods",
              "Threshold", "ComparisonOperator")


def alarm_differs(current, wanted):
    for key in ALARM_KEYS:
        have, want = current.get(key), wanted.get(key)
        if key == "Threshold":
            have, want = _float(have), _float(want)
        if have != want:
            return True
    dims = sorted((d["Name"], d["Value"]) for d in current.get("Dimensions") or [])
    if dims != sorted((d["Name"], d["Value"]) for d in wanted["Dimensions"]):
        return True
    return sorted(current.get("AlarmActions") or []) != sorted(wanted["AlarmActions"])


# ---------------------------------------------------------------------------- notifications
# PutNotificationConfiguration, Amazon EC2 Auto Scaling API Reference: NotificationTypes are
# these five; autoscaling:TEST_NOTIFICATION is sent by AWS on a new configuration, never chosen.
NOTIFICATION_TYPES = (
    "autoscaling:EC2_INSTANCE_LAUNCH", "autoscaling:EC2_INSTANCE_LAUNCH_ERROR",
    "autoscaling:EC2_INSTANCE_TERMINATE", "autoscaling:EC2_INSTANCE_TERMINATE_ERROR",
)
SNS_ARN = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$")


def notification_errors(params):
    """Problems of O(notifications) and O(alarm_topics), one line each."""
    errors = []
    seen = set()
    for index, item in enumerate(params.get("notifications") or []):
        where = "notifications[%d]" % index
        topic = item.get("topic") or ""
        if not SNS_ARN.match(topic):
            errors.append("%s.topic must be an SNS topic ARN (aws_notification_topic returns it as topic_arn), not %r"
                          % (where, topic))
        if topic in seen:
            errors.append("%s: topic %s declared twice" % (where, topic))
        seen.add(topic)
        types = item.get("types") or []
        if not types:
            errors.append("%s.types: at least one event type" % where)
        bad = [t for t in types if t not in NOTIFICATION_TYPES]
        if bad:
            errors.append("%s.types: %s not one of %s" % (where, bad, ", ".join(NOTIFICATION_TYPES)))
    for index, topic in enumerate(params.get("alarm_topics") or []):
        if not SNS_ARN.match(topic or ""):
            errors.append("alarm_topics[%d] must be an SNS topic ARN, not %r" % (index, topic))
    return errors


def notifications_view(configurations):
    """DescribeNotificationConfigurations answer -> ``{topic_arn: [sorted types]}``."""
    view = {}
    for item in configurations or []:
        if item.get("NotificationType") == "autoscaling:TEST_NOTIFICATION":
            continue
        view.setdefault(item["TopicARN"], []).append(item["NotificationType"])
    return dict((topic, sorted(types)) for topic, types in view.items())


# ---------------------------------------------------------------------------- scheduled actions
# The collection owns the scheduled actions whose name starts with this prefix: it creates them
# as <prefix><name> and deletes those no longer declared; others are left alone unless
# O(purge_scheduled_actions=true). Scheduled actions carry no tags, so the name is the mark.
SCHEDULED_PREFIX = "streamfleet-"
SCHEDULED_NAME = re.compile(r"^[A-Za-z0-9\-_.]{1,243}$")
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?(\.\d+)?(Z|[+-]\d{2}:?\d{2})?$")


def scheduled_name(action):
    return SCHEDULED_PREFIX + action["name"]


def scheduled_errors(params):
    """Problems of O(scheduled_actions), one line each (PutScheduledUpdateGroupAction's rules)."""
    errors = []
    seen = set()
    low, high = params.get("min_size"), params.get("max_size")
    for index, action in enumerate(params.get("scheduled_actions") or []):
        name = action.get("name") or ""
        where = "scheduled_actions[%d] (%s)" % (index, name)
        if not SCHEDULED_NAME.match(name):
            errors.append("%s: name must be 1-243 characters of A-Z a-z 0-9 - _ . (the module adds %r)"
                          % (where, SCHEDULED_PREFIX))
        if name in seen:
            errors.append("%s: declared twice" % where)
        seen.add(name)
        if all(action.get(k) is None for k in ("min_size", "max_size", "desired_capacity")):
            errors.append("%s: set at least one of min_size, max_size, desired_capacity" % where)
        if not action.get("recurrence") and not action.get("start_time"):
            errors.append("%s: needs recurrence (cron, for example '0 7 * * MON-FRI') or start_time" % where)
        recurrence = action.get("recurrence")
        if recurrence and len(recurrence.split()) != 5:
            errors.append("%s: recurrence must be a five-field cron expression, not %r" % (where, recurrence))
        for key in ("start_time", "end_time"):
            if action.get(key) and not ISO_TIME.match(action[key]):
                errors.append("%s: %s must be ISO 8601 UTC, for example 2027-01-31T07:00:00Z, not %r"
                              % (where, key, action[key]))
        a_low, a_high, a_desired = action.get("min_size"), action.get("max_size"), action.get("desired_capacity")
        if a_low is not None and a_high is not None and a_low > a_high:
            errors.append("%s: min_size (%s) above max_size (%s)" % (where, a_low, a_high))
        if a_desired is not None:
            floor = a_low if a_low is not None else low
            ceiling = a_high if a_high is not None else high
            if floor is not None and ceiling is not None and not floor <= a_desired <= ceiling:
                errors.append("%s: desired_capacity (%s) outside %s..%s" % (where, a_desired, floor, ceiling))
    return errors


def scheduled_api(action):
    """Declared action as put_scheduled_update_group_action keyword arguments (without the group)."""
    api = dict(ScheduledActionName=scheduled_name(action))
    for option, key in (("recurrence", "Recurrence"), ("start_time", "StartTime"), ("end_time", "EndTime"),
                        ("time_zone", "TimeZone"), ("min_size", "MinSize"), ("max_size", "MaxSize"),
                        ("desired_capacity", "DesiredCapacity")):
        if action.get(option) is not None:
            api[key] = action[option]
    return api


def _utc_text(value):
    """A time (datetime or ISO text) as ``YYYY-MM-DDTHH:MM:SSZ`` for comparing."""
    if value is None:
        return None
    if hasattr(value, "strftime"):
        if getattr(value, "utcoffset", lambda: None)() is not None:
            value = value.replace(tzinfo=None) - value.utcoffset()
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    text = str(value).replace(" ", "T")
    match = re.match(r"^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?", text)
    return "%s%sZ" % (match.group(1), match.group(2) or ":00") if match else text


def scheduled_view(api):
    """A scheduled action (declared kwargs or described) as the diff shows it."""
    view = {}
    for key, name in (("Recurrence", "recurrence"), ("TimeZone", "time_zone"), ("MinSize", "min_size"),
                      ("MaxSize", "max_size"), ("DesiredCapacity", "desired_capacity")):
        if api.get(key) is not None:
            view[name] = api[key]
    for key, name in (("StartTime", "start_time"), ("EndTime", "end_time")):
        if api.get(key) is not None:
            view[name] = _utc_text(api[key])
    return view


def scheduled_differs(current, wanted):
    """True when the described action differs in a key the task declares.

    StartTime is compared only when declared: with a recurrence AWS moves it to the next run.
    """
    have, want = scheduled_view(current), scheduled_view(wanted)
    return any(have.get(k) != v for k, v in want.items()) or any(
        k not in want for k in ("min_size", "max_size", "desired_capacity", "end_time") if have.get(k) is not None)


# ---------------------------------------------------------------------------- mixed instances
ON_DEMAND_STRATEGIES = ("prioritized", "lowest-price")
SPOT_STRATEGIES = ("lowest-price", "capacity-optimized", "capacity-optimized-prioritized",
                   "price-capacity-optimized")


def mixed_errors(policy):
    """Problems of O(mixed_instances_policy), one line each."""
    if not policy:
        return []
    errors = []
    types = [o.get("type") for o in policy.get("instance_types") or []]
    if len(types) < 1:
        errors.append("mixed_instances_policy.instance_types: at least one instance type")
    if len(types) != len(set(types)):
        errors.append("mixed_instances_policy.instance_types lists a type twice: %s" % ", ".join(types))
    weights = [o.get("weight") for o in policy.get("instance_types") or []]
    if any(w is not None for w in weights) and any(w is None for w in weights):
        errors.append("mixed_instances_policy.instance_types: give weight to every type or to none")
    if any(w is not None and not 1 <= w <= 999 for w in weights):
        errors.append("mixed_instances_policy.instance_types[].weight must be 1-999")
    base = policy.get("on_demand_base_capacity")
    if base is not None and base < 0:
        errors.append("mixed_instances_policy.on_demand_base_capacity must be 0 or more")
    share = policy.get("on_demand_percentage_above_base")
    if share is not None and not 0 <= share <= 100:
        errors.append("mixed_instances_policy.on_demand_percentage_above_base must be 0-100")
    if policy.get("spot_instance_pools") is not None and policy.get("spot_allocation_strategy") != "lowest-price":
        errors.append("mixed_instances_policy.spot_instance_pools only with spot_allocation_strategy lowest-price")
    return errors


def mixed_api(policy, template_api):
    """Declared policy as the MixedInstancesPolicy of Create/UpdateAutoScalingGroup."""
    overrides = []
    for item in policy["instance_types"]:
        override = {"InstanceType": item["type"]}
        if item.get("weight") is not None:
            override["WeightedCapacity"] = str(item["weight"])
        overrides.append(override)
    distribution = {
        "OnDemandAllocationStrategy": policy["on_demand_allocation_strategy"],
        "OnDemandBaseCapacity": policy["on_demand_base_capacity"],
        "OnDemandPercentageAboveBaseCapacity": policy["on_demand_percentage_above_base"],
        "SpotAllocationStrategy": policy["spot_allocation_strategy"],
    }
    if policy.get("spot_instance_pools") is not None:
        distribution["SpotInstancePools"] = policy["spot_instance_pools"]
    if policy.get("spot_max_price"):
        distribution["SpotMaxPrice"] = policy["spot_max_price"]
    return {"LaunchTemplate": {"LaunchTemplateSpecification": dict(template_api), "Overrides": overrides},
            "InstancesDistribution": distribution}


def template_same(current, wanted):
    """Whether a described launch template specification is the declared one (by id or name)."""
    current = dict(current or {})
    if str(current.get("Version")) != wanted["Version"]:
        return False
    if "LaunchTemplateId" in wanted:
        return current.get("LaunchTemplateId") == wanted["LaunchTemplateId"]
    return current.get("LaunchTemplateName") == wanted["LaunchTemplateName"]


def mixed_differs(current, wanted):
    """True when the described MixedInstancesPolicy differs in what the task declares.

    Overrides compare in order (the order is the priority of the prioritized strategies);
    distribution keys compare only when declared (AWS fills in defaults).
    """
    if not current:
        return True
    have_lt = current.get("LaunchTemplate") or {}
    want_lt = wanted["LaunchTemplate"]
    if not template_same(have_lt.get("LaunchTemplateSpecification"), want_lt["LaunchTemplateSpecification"]):
        return True
    have = [(o.get("InstanceType"), str(o["WeightedCapacity"]) if o.get("WeightedCapacity") is not None else None)
            for o in have_lt.get("Overrides") or []]
    want = [(o["InstanceType"], o.get("WeightedCapacity")) for o in want_lt["Overrides"]]
    if have != want:
        return True
    have_dist = current.get("InstancesDistribution") or {}
    return any(str(have_dist.get(k)) != str(v) for k, v in wanted["InstancesDistribution"].items())


def mixed_view(policy):
    """A MixedInstancesPolicy (declared or described) as results and diffs show it."""
    if not policy:
        return None
    lt = policy.get("LaunchTemplate") or {}
    dist = policy.get("InstancesDistribution") or {}
    return dict(instance_types=[dict(type=o.get("InstanceType"), weight=o.get("WeightedCapacity"))
                                for o in lt.get("Overrides") or []],
                on_demand_base_capacity=dist.get("OnDemandBaseCapacity"),
                on_demand_percentage_above_base=dist.get("OnDemandPercentageAboveBaseCapacity"),
                on_demand_allocation_strategy=dist.get("OnDemandAllocationStrategy"),
                spot_allocation_strategy=dist.get("SpotAllocationStrategy"),
                spot_instance_pools=dist.get("SpotInstancePools"),
                spot_max_price=dist.get("SpotMaxPrice") or None)


class FleetConverger(Converger):
    """Converges one Auto Scaling group and what it owns; records every (would-be) change."""

    input_rules = 'aws_fleet'  # validation.INPUT_RULES, checked before validate()

    def region_refs(self):
        mixed = self.params.get('mixed_instances_policy') or {}
        return [], [('mixed_instances_policy.instance_types[%d].type' % i, item.get('type'))
                    for i, item in enumerate(mixed.get('instance_types') or [])]

    error = FleetError

    def describe(self):
        return "Auto Scaling group %s" % self.params["name"]

    def validate(self):
        validate(self.params)

    @property
    def autoscaling(self):
        return self.client("autoscaling")

    @property
    def cloudwatch(self):
        return self.client("cloudwatch")

    def _wanted_tags(self):
        return self.deployment_tags()

    def describe_group(self):
        groups = self.autoscaling.describe_auto_scaling_groups(
            aws_retry=True, AutoScalingGroupNames=[self.params["name"]])["AutoScalingGroups"]
        return groups[0] if groups else None

    def _check_owner(self, group):
        tags = dict((t["Key"], t["Value"]) for t in group.get("Tags", []))
        if tags.get(DEPLOYMENT_TAG) != self.params["deployment"]:
            raise FleetError("Auto Scaling group %s exists but does not carry %s=%s; the collection does "
                             "not adopt or change groups it did not create" % (
                                 self.params["name"], DEPLOYMENT_TAG, self.params["deployment"]))

    def read(self):
        names = self.sibling_names()
        if len(names) < 2:
            self.group = self.describe_group()
            return
        # the list form: one describe for every entry's group (names in chunks of 50, well
        # under the API's limit per request)

        def describe_all():
            found = {}
            for start in range(0, len(names), 50):
                for group in self.autoscaling.paginate("describe_auto_scaling_groups", "AutoScalingGroups",
                                                       AutoScalingGroupNames=names[start:start + 50]):
                    found[group["AutoScalingGroupName"]] = group
            return found
        self.group = self.first_read(("autoscaling", "groups"), describe_all).get(self.params["name"])

    def apply(self):
        if self.params["state"] == "absent":
            self._absent()
        else:
            self._present()

    # ------------------------------------------------------------------ lookups
    def _resolve_target_groups(self):
        refs = self.params.get("target_groups") or []
        arns = [r for r in refs if r.startswith("arn:")]
        names = [r for r in refs if not r.startswith("arn:")]
        if names:
            elbv2 = self.client("elbv2")
            try:
                found = elbv2.describe_target_groups(aws_retry=True, Names=names)["TargetGroups"]
            except ClientError as exc:
                if error_code(exc) in ("TargetGroupNotFound", "TargetGroupNotFoundException"):
                    raise FleetError("target_groups: %s not found (%s)" % (names, exc))
                raise
            by_name = dict((g["TargetGroupName"], g["TargetGroupArn"]) for g in found)
            missing = [n for n in names if n not in by_name]
            if missing:
                raise FleetError("target_groups: %s not found" % missing)
            arns.extend(by_name[n] for n in names)
        return sorted(arns)

    def _check_launch_template(self):
        template = self.params["launch_template"]
        ec2 = self.client("ec2")
        kwargs = {"LaunchTemplateIds": [template["id"]]} if template.get("id") else {
            "LaunchTemplateNames": [template["name"]]}
        try:
            found = ec2.describe_launch_templates(aws_retry=True, **kwargs)["LaunchTemplates"]
        except ClientError as exc:
            if "NotFound" in error_code(exc) or error_code(exc).startswith("InvalidLaunchTemplate"):
                raise FleetError("launch_template %s not found" % (template.get("id") or template.get("name")))
            raise
        if not found:
            raise FleetError("launch_template %s not found" % (template.get("id") or template.get("name")))
        version = str(template.get("version") or "$Default")
        if version.isdigit() and int(version) > found[0].get("LatestVersionNumber", 0):
            raise FleetError("launch_template %s has no version %s (latest is %s)" % (
                found[0]["LaunchTemplateName"], version, found[0].get("LatestVersionNumber")))

    def _launch_template_api(self):
        template = self.params["launch_template"]
        api = {"Version": str(template.get("version") or "$Default")}
        if template.get("id"):
            api["LaunchTemplateId"] = template["id"]
        else:
            api["LaunchTemplateName"] = template["name"]
        return api

    # ------------------------------------------------------------------ present
    def _group_settings(self, target_group_arns):
        p = self.params
        settings = {
            "MinSize": p["min_size"], "MaxSize": p["max_size"],
            "VPCZoneIdentifier": ",".join(p["subnets"]),
            "HealthCheckType": p["health_check_type"],
            "NewInstancesProtectedFromScaleIn": p["protect_from_scale_in"],
        }
        if p.get("mixed_instances_policy"):
            # the group runs the template through the policy; LaunchTemplate and
            # MixedInstancesPolicy exclude each other in Create/UpdateAutoScalingGroup
            settings["MixedInstancesPolicy"] = mixed_api(p["mixed_instances_policy"], self._launch_template_api())
        else:
            settings["LaunchTemplate"] = self._launch_template_api()
        if p.get("desired_capacity") is not None:
            settings["DesiredCapacity"] = p["desired_capacity"]
        if p.get("health_check_grace_period") is not None:
            settings["HealthCheckGracePeriod"] = p["health_check_grace_period"]
        if p.get("default_cooldown") is not None:
            settings["DefaultCooldown"] = p["default_cooldown"]
        if p.get("termination_policies"):
            settings["TerminationPolicies"] = p["termination_policies"]
        return settings

    @staticmethod
    def _settings_diff(group, wanted):
        changed = {}
        for key, value in wanted.items():
            current = group.get(key)
            if key == "LaunchTemplate":
                if not template_same(current, value):
                    changed[key] = value
            elif key == "MixedInstancesPolicy":
                if mixed_differs(current, value):
                    changed[key] = value
            elif key == "VPCZoneIdentifier":
                if sorted((current or "").split(",")) != sorted(value.split(",")):
                    changed[key] = value
            elif current != value:
                changed[key] = value
        return changed

    def _present(self):
        name = self.params["name"]
        group = self.group
        if group is not None:
            self._check_owner(group)
        target_group_arns = self._resolve_target_groups()
        wanted = self._group_settings(target_group_arns)
        tags = self._wanted_tags()
        self.after = dict(settings=dict(wanted), target_group_arns=target_group_arns,
                          load_balancers=sorted(self.params.get("load_balancers") or []), tags=tags)
        if self.params.get("policies") is not None:
            self.after["policies"] = dict((p["name"], policy_key(policy_api(name, p))) for p in self.params["policies"])
        if group is None:
            self._check_launch_template()
            self.before = {}
            start = self.params.get("desired_capacity")
            self.after["settings"]["DesiredCapacity"] = self.params["min_size"] if start is None else start
            self.result["capacity"] = dict(before=None, after=self.after["settings"]["DesiredCapacity"],
                                           source="min_size" if start is None else "declared")
            self.result["capacity_clamped"] = False
            if self.change("create Auto Scaling group %s" % name):
                kwargs = dict(wanted, AutoScalingGroupName=name, Tags=self._tag_api(tags))
                kwargs.setdefault("DesiredCapacity", self.params["min_size"])
                if target_group_arns:
                    kwargs["TargetGroupARNs"] = target_group_arns
                if self.params.get("load_balancers"):
                    kwargs["LoadBalancerNames"] = self.params["load_balancers"]
                # CreateAutoScalingGroup takes no client token: after a failure, look for it first
                self.autoscaling.create_once("create_auto_scaling_group", self.describe_group, **kwargs)
            else:
                for policy in self.params.get("policies") or []:
                    self.change("create scaling policy %s" % policy["name"])
                    if policy.get("alarm"):
                        self.change("create alarm %s" % alarm_name(name, policy))
                for hook in self.params.get("lifecycle_hooks") or []:
                    self.change("create lifecycle hook %s" % hook["name"])
                pool = self.params.get("warm_pool")
                if pool and pool.get("state", "present") == "present":
                    self.change("create warm pool")
                    self.after["warm_pool"] = warm_pool_view(warm_pool_api(pool))
                if self.params.get("lifecycle_hooks") is not None:
                    self.after["lifecycle_hooks"] = dict((h["name"], hook_view(hook_api(h)))
                                                         for h in self.params["lifecycle_hooks"])
                self._converge_notifications(True)
                self._converge_scheduled_actions(True)
                self._report_hooks_and_pool()
                return
        else:
            self._update_group(group, wanted, target_group_arns, tags)
        self._converge_policies_and_alarms(group is None)
        self._converge_hooks(group is None)
        self._converge_warm_pool(group is None)
        self._converge_notifications(group is None)
        self._converge_scheduled_actions(group is None)
        if not self.check_mode and self.params.get("wait"):
            count = self.params.get("wait_for_instances")
            if count is None:
                count = self.params.get("desired_capacity")
            if count is None:
                count = self.params["min_size"]
            # a run that changed nothing needs no waiter when enough instances already serve
            if count and (self.changes or self._in_service(group) < count):
                instances_in_service(self.module, self.autoscaling, name, count)
                if self.params.get("wait_for_balancer") and (target_group_arns or self.params.get("load_balancers")):
                    # InService is the group's view; clients reach an instance only once the
                    # balancer's own health check passes (after the warm-up, the grace period)
                    balancer_healthy(self.module, self.autoscaling, name, count, target_group_arns,
                                     self.params.get("load_balancers") or [],
                                     elbv2=self.client("elbv2") if target_group_arns else None,
                                     elb=self.client("elb") if self.params.get("load_balancers") else None,
                                     warmup=self.params.get("health_check_grace_period"))
        self._report_hooks_and_pool()
        final = group if self.check_mode or not self.changes and group is not None else self.describe_group()
        if final:
            self.result["group"] = self._group_result(final)

    def _report_hooks_and_pool(self):
        for key in ("lifecycle_hooks", "warm_pool", "notifications", "scheduled_actions"):
            if key in self.after:
                self.result[key] = self.after[key]

    @staticmethod
    def _in_service(group):
        return len([i for i in (group or {}).get("Instances", [])
                    if i.get("LifecycleState") == "InService" and i.get("HealthStatus", "Healthy") == "Healthy"])

    def _group_result(self, group):
        return {
            "name": group["AutoScalingGroupName"], "arn": group.get("AutoScalingGroupARN"),
            "min_size": group.get("MinSize"), "max_size": group.get("MaxSize"),
            "desired_capacity": group.get("DesiredCapacity"),
            "launch_template": group.get("LaunchTemplate"),
            "mixed_instances_policy": mixed_view(group.get("MixedInstancesPolicy")),
            "target_group_arns": group.get("TargetGroupARNs", []),
            "load_balancers": group.get("LoadBalancerNames", []),
            "health_check_type": group.get("HealthCheckType"),
            "instances": [{"instance_id": i["InstanceId"], "lifecycle_state": i.get("LifecycleState"),
                           "health_status": i.get("HealthStatus"), "availability_zone": i.get("AvailabilityZone"),
                           "protected_from_scale_in": i.get("ProtectedFromScaleIn")}
                          for i in group.get("Instances", [])],
            "in_service": len([i for i in group.get("Instances", []) if i.get("LifecycleState") == "InService"]),
        }

    def _tag_api(self, tags):
        return [{"ResourceId": self.params["name"], "ResourceType": "auto-scaling-group", "Key": k,
                 "Value": v, "PropagateAtLaunch": self.params["propagate_tags"]} for k, v in sorted(tags.items())]

    def _update_group(self, group, wanted, target_group_arns, tags):
        name = self.params["name"]
        current_tags = dict((t["Key"], (t["Value"], t.get("PropagateAtLaunch"))) for t in group.get("Tags", []))
        self.before = dict(
            settings=dict((k, group.get(k)) for k in wanted),
            target_group_arns=sorted(group.get("TargetGroupARNs", [])),
            load_balancers=sorted(group.get("LoadBalancerNames", [])),
            tags=dict((k, v[0]) for k, v in current_tags.items()),
        )
        self.before["settings"]["DesiredCapacity"] = group.get("DesiredCapacity")
        changed = self._settings_diff(group, wanted)
        capacity = plan_capacity(group, self.params)
        self.after["settings"]["DesiredCapacity"] = capacity["after"]
        self.result["capacity"] = capacity
        self.result["capacity_clamped"] = capacity["source"] == "clamped"
        if capacity["source"] == "clamped":
            # Sent explicitly, in the same call as the new bounds: UpdateAutoScalingGroup would
            # move it too, but compares the bounds with the number of instances, not with the
            # desired capacity (so does moto), which leaves it outside the range while
            # instances are still launching or terminating.
            changed["DesiredCapacity"] = capacity["after"]
            self.changes.append("desired capacity %s -> %s (%s)"
                                % (capacity["before"], capacity["after"], capacity["reason"]))
        if set(changed) & set(("LaunchTemplate", "MixedInstancesPolicy", "TerminationPolicies")):
            self._check_launch_template()
        if changed and self.change("update group %s: %s" % (name, sorted(changed))):
            self.autoscaling.update_auto_scaling_group(aws_retry=True, AutoScalingGroupName=name, **changed)
        have = set(group.get("TargetGroupARNs", []))
        want = set(target_group_arns)
        if want - have and self.change("attach target groups %s" % sorted(want - have)):
            self.autoscaling.attach_load_balancer_target_groups(aws_retry=True, AutoScalingGroupName=name,
                                                                TargetGroupARNs=sorted(want - have))
        if have - want and self.change("detach target groups %s" % sorted(have - want)):
            self.autoscaling.detach_load_balancer_target_groups(aws_retry=True, AutoScalingGroupName=name,
                                                                TargetGroupARNs=sorted(have - want))
        have = set(group.get("LoadBalancerNames", []))
        want = set(self.params.get("load_balancers") or [])
        if want - have and self.change("attach classic balancers %s" % sorted(want - have)):
            self.autoscaling.attach_load_balancers(aws_retry=True, AutoScalingGroupName=name, LoadBalancerNames=sorted(want - have))
        if have - want and self.change("detach classic balancers %s" % sorted(have - want)):
            self.autoscaling.detach_load_balancers(aws_retry=True, AutoScalingGroupName=name, LoadBalancerNames=sorted(have - want))
        kept = dict((k, v[0]) for k, v in current_tags.items()
                    if not self.params.get("purge_tags") or k.startswith("aws:"))
        self.after["tags"] = dict(kept, **tags)
        propagate = self.params["propagate_tags"]
        to_set = dict((k, v) for k, v in tags.items() if current_tags.get(k) != (v, propagate))
        if to_set and self.change("tag group %s" % sorted(to_set)):
            self.autoscaling.create_or_update_tags(aws_retry=True, Tags=self._tag_api(to_set))
        if self.params.get("purge_tags"):
            extra = sorted(k for k in current_tags if k not in tags and not k.startswith("aws:"))
            if extra and self.change("untag group %s" % extra):
                self.autoscaling.delete_tags(aws_retry=True, Tags=[
                    {"ResourceId": name, "ResourceType": "auto-scaling-group", "Key": k} for k in extra])

    # ------------------------------------------------------------------ policies and alarms
    def _owned_alarms(self):
        name = self.params["name"]
        alarms = []
        for alarm in self.cloudwatch.paginate("describe_alarms", "MetricAlarms",
                                              AlarmNamePrefix=name, AlarmTypes=["MetricAlarm"]):
            dims = dict((d["Name"], d["Value"]) for d in alarm.get("Dimensions") or [])
            if dims.get("AutoScalingGroupName") == name:
                alarms.append(alarm)
        return dict((a["AlarmName"], a) for a in alarms)

    def _converge_policies_and_alarms(self, new_group):
        name = self.params["name"]
        if self.params.get("policies") is None:
            return  # not declared: the policies and alarms of the group are left as they are
        declared = self.params["policies"]
        current = {}
        if not new_group:
            for policy in self.autoscaling.paginate("describe_policies", "ScalingPolicies", AutoScalingGroupName=name):
                current[policy["PolicyName"]] = policy
        alarms = {} if new_group else self._owned_alarms()
        self.before["policies"] = dict((n, policy_key(p)) for n, p in current.items())
        self.before["alarms"] = sorted(alarms)
        wanted_alarms = set(alarm_name(name, p) for p in declared if p.get("alarm"))
        # alarms first, so none points at a policy that is about to go
        for alarm in sorted(set(alarms) - wanted_alarms):
            if self.change("delete alarm %s" % alarm):
                self.cloudwatch.delete_alarms(aws_retry=True, AlarmNames=[alarm])
        declared_names = set(p["name"] for p in declared)
        for policy_name in sorted(set(current) - declared_names):
            if self.change("delete scaling policy %s" % policy_name):
                self.autoscaling.delete_policy(aws_retry=True, AutoScalingGroupName=name, PolicyName=policy_name)
        tags = self._wanted_tags()
        for policy in declared:
            wanted = policy_api(name, policy)
            existing = current.get(policy["name"])
            arn = existing.get("PolicyARN") if existing else None
            if existing is None or policy_differs(existing, wanted):
                verb = "create" if existing is None else "update"
                if self.change("%s scaling policy %s" % (verb, policy["name"])):
                    answer = self.autoscaling.put_scaling_policy(aws_retry=True, **wanted)
                    # moto returns no PolicyARN; read it back
                    arn = answer.get("PolicyARN") or self._policy_arn(policy["name"])
            if not policy.get("alarm"):
                continue
            wanted_alarm = alarm_api(name, policy, arn, tags, self.params.get("alarm_topics"))
            current_alarm = alarms.get(wanted_alarm["AlarmName"])
            if current_alarm is None or alarm_differs(current_alarm, wanted_alarm):
                verb = "create" if current_alarm is None else "update"
                if self.change("%s alarm %s" % (verb, wanted_alarm["AlarmName"])):
                    self.cloudwatch.put_metric_alarm(aws_retry=True, **wanted_alarm)
        self.result["policies"] = dict((p["name"], {"alarm": alarm_name(name, p) if p.get("alarm") else None})
                                       for p in declared)

    def _policy_arn(self, policy_name):
        found = self.autoscaling.describe_policies(aws_retry=True, AutoScalingGroupName=self.params["name"],
                                                   PolicyNames=[policy_name])["ScalingPolicies"]
        return found[0].get("PolicyARN") if found else None

    # ------------------------------------------------------------------ hooks and warm pool
    def _converge_hooks(self, new_group):
        name = self.params["name"]
        declared = self.params.get("lifecycle_hooks")
        if declared is None:
            return
        current = {} if new_group else dict(
            (h["LifecycleHookName"], h) for h in
            self.autoscaling.describe_lifecycle_hooks(aws_retry=True, AutoScalingGroupName=name)["LifecycleHooks"])
        self.before["lifecycle_hooks"] = dict((n, hook_view(h)) for n, h in current.items())
        self.after["lifecycle_hooks"] = {}
        wanted_names = set(h["name"] for h in declared)
        for hook_name in sorted(set(current) - wanted_names):
            if self.change("delete lifecycle hook %s" % hook_name):
                self.autoscaling.delete_lifecycle_hook(aws_retry=True, AutoScalingGroupName=name, LifecycleHookName=hook_name)
        for hook in declared:
            wanted = hook_api(hook)
            have = current.get(hook["name"])
            self.after["lifecycle_hooks"][hook["name"]] = hook_view(dict(have or {}, **wanted))
            if have is None or hook_differs(have, wanted):
                verb = "create" if have is None else "update"
                if self.change("%s lifecycle hook %s" % (verb, hook["name"])):
                    # PutLifecycleHook creates or replaces the hook: idempotent, so retried
                    self.autoscaling.put_lifecycle_hook(aws_retry=True, AutoScalingGroupName=name, **wanted)

    def _converge_warm_pool(self, new_group):
        pool = self.params.get("warm_pool")
        if pool is None:
            return
        name = self.params["name"]
        current = {} if new_group else (
            self.autoscaling.describe_warm_pool(aws_retry=True, AutoScalingGroupName=name).get("WarmPoolConfiguration") or {})
        if current.get("Status") == "PendingDelete":
            current = {}  # being deleted (asynchronously); counts as gone
        self.before["warm_pool"] = warm_pool_view(current)
        if pool.get("state", "present") == "absent":
            self.after["warm_pool"] = {}
            # ForceDelete: pooled instances serve no sessions, nothing to drain
            if current and self.change("delete warm pool"):
                self.autoscaling.delete_warm_pool(aws_retry=True, AutoScalingGroupName=name, ForceDelete=True)
            return
        wanted = warm_pool_api(pool)
        self.after["warm_pool"] = warm_pool_view(wanted)
        if current and warm_pool_view(current) == self.after["warm_pool"]:
            return
        if current.get("MaxGroupPreparedCapacity") not in (None, -1) and "MaxGroupPreparedCapacity" not in wanted:
            wanted["MaxGroupPreparedCapacity"] = -1  # back to the default: max_size minus desired capacity
        if self.change("%s warm pool" % ("create" if not current else "update")):
            # PutWarmPool creates or replaces the configuration: idempotent, so retried
            self.autoscaling.put_warm_pool(aws_retry=True, AutoScalingGroupName=name, **wanted)

    # ------------------------------------------------------------------ notifications
    def _converge_notifications(self, new_group):
        """O(notifications): the group's complete set of SNS notification configurations.

        Read (one DescribeNotificationConfigurations call) only when declared.
        """
        declared = self.params.get("notifications")
        if declared is None:
            return
        name = self.params["name"]
        current = {} if new_group else notifications_view(self.autoscaling.paginate(
            "describe_notification_configurations", "NotificationConfigurations", AutoScalingGroupNames=[name]))
        wanted = dict((item["topic"], sorted(set(item["types"]))) for item in declared)
        self.before["notifications"] = current
        self.after["notifications"] = wanted
        for topic in sorted(set(current) - set(wanted)):
            if self.change("delete notifications to %s" % topic):
                self.autoscaling.delete_notification_configuration(aws_retry=True, AutoScalingGroupName=name,
                                                                   TopicARN=topic)
        for topic, types in sorted(wanted.items()):
            if current.get(topic) != types:
                verb = "create" if topic not in current else "update"
                if self.change("%s notifications to %s: %s" % (verb, topic, ", ".join(types))):
                    # PutNotificationConfiguration replaces the topic's types: idempotent, so retried
                    self.autoscaling.put_notification_configuration(aws_retry=True, AutoScalingGroupName=name,
                                                                    TopicARN=topic, NotificationTypes=types)

    # ------------------------------------------------------------------ scheduled actions
    def _converge_scheduled_actions(self, new_group):
        """O(scheduled_actions): create/update the declared ones, delete owned ones not declared.

        Read (DescribeScheduledActions for the group) only when declared.
        """
        declared = self.params.get("scheduled_actions")
        if declared is None:
            return
        name = self.params["name"]
        current = {} if new_group else dict(
            (a["ScheduledActionName"], a) for a in self.autoscaling.paginate(
                "describe_scheduled_actions", "ScheduledUpdateGroupActions", AutoScalingGroupName=name))
        wanted = dict((scheduled_name(a), scheduled_api(a)) for a in declared)
        purge = self.params.get("purge_scheduled_actions")
        self.before["scheduled_actions"] = dict((n, scheduled_view(a)) for n, a in current.items()
                                                if purge or n.startswith(SCHEDULED_PREFIX))
        self.after["scheduled_actions"] = dict((n, scheduled_view(a)) for n, a in wanted.items())
        for action_name in sorted(set(current) - set(wanted)):
            if not (purge or action_name.startswith(SCHEDULED_PREFIX)):
                continue  # not the collection's: left alone unless purge_scheduled_actions
            if self.change("delete scheduled action %s" % action_name):
                self.autoscaling.delete_scheduled_action(aws_retry=True, AutoScalingGroupName=name,
                                                         ScheduledActionName=action_name)
        for action_name, api in sorted(wanted.items()):
            have = current.get(action_name)
            if have is None or scheduled_differs(have, api):
                verb = "create" if have is None else "update"
                if self.change("%s scheduled action %s" % (verb, action_name)):
                    if have is not None and any(have.get(k) is not None and k not in api
                                                for k in ("MinSize", "MaxSize", "DesiredCapacity", "EndTime")):
                        # a Put leaves the sizes it is not given as they were: drop them first
                        self.autoscaling.delete_scheduled_action(aws_retry=True, AutoScalingGroupName=name,
                                                                 ScheduledActionName=action_name)
                    # PutScheduledUpdateGroupAction creates or replaces: idempotent, so retried
                    self.autoscaling.put_scheduled_update_group_action(aws_retry=True, AutoScalingGroupName=name, **api)

    # ------------------------------------------------------------------ absent
    def _absent(self):
        name = self.params["name"]
        group = self.group
        alarms = self._owned_alarms()
        if group is None:
            for alarm in sorted(alarms):
                if self.change("delete leftover alarm %s" % alarm):
                    self.cloudwatch.delete_alarms(aws_retry=True, AlarmNames=[alarm])
            return
        self._check_owner(group)
        instance_ids = [i["InstanceId"] for i in group.get("Instances", [])]
        self.before = {"name": name, "instances": instance_ids, "alarms": sorted(alarms)}
        if alarms and self.change("delete alarms %s" % sorted(alarms)):
            self.cloudwatch.delete_alarms(aws_retry=True, AlarmNames=sorted(alarms))
        if not self.change("delete Auto Scaling group %s with its policies, hooks and %d instance(s)"
                           % (name, len(instance_ids))):
            return
        self.autoscaling.delete_auto_scaling_group(aws_retry=True, AutoScalingGroupName=name, ForceDelete=True)
        if not self.params.get("wait"):
            return
        group_deleted(self.module, self.autoscaling, name)
        self._terminate_leftovers(instance_ids)

    def _terminate_leftovers(self, instance_ids):
        """Terminate the group's instances still running once the group is gone.

        AWS terminates them itself on ForceDelete (this finds them shutting down and does
        nothing); moto 5.2 leaves them running.
        """
        if not instance_ids:
            return
        ec2 = self.client("ec2")
        running = []
        for reservation in ec2.describe_instances(aws_retry=True, InstanceIds=instance_ids)["Reservations"]:
            for instance in reservation["Instances"]:
                if instance["State"]["Name"] in ("pending", "running", "stopping", "stopped"):
                    running.append(instance["InstanceId"])
        if running:
            self.changes.append("terminate %d instance(s) left by the deleted group" % len(running))
            ec2.terminate_instances(aws_retry=True, InstanceIds=running)
