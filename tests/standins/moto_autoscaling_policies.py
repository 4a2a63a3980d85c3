# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scaling policies named per group on moto's Auto Scaling (part of the AWS TEST DOUBLE).

moto 5.2.5 keeps a region's scaling policies in one dictionary keyed by the policy's name alone:
a second group's ``PutScalingPolicy`` with a name another group already uses ("scale-out")
silently moves the policy to the second group, and the first group's policy is gone. AWS keys a
policy by its group and its name:

* ``API_PutScalingPolicy.html``: ``AutoScalingGroupName`` and ``PolicyName`` are both required;
  "the name of the policy" is that group's (a put with an existing group/name pair updates it).
* ``API_DeletePolicy.html`` and ``API_ExecutePolicy.html``: ``PolicyName`` is "the name or Amazon
  Resource Name (ARN) of the policy"; ``AutoScalingGroupName`` names the group (needed when the
  policy is given by name).
* ``API_DeleteAutoScalingGroup.html``: deleting a group deletes its scaling policies (moto keeps
  them).

The sandbox found it: the WCS edge group and the Red5 Pro Stream Manager group both have a
"scale-out" policy in one region, and each converge took the policy from the other group. This
module keys moto's policies by group and name, deletes and executes by group and name (or by
ARN), and drops a group's policies with the group. ``install()`` is called by
``moto_autoscaling_notifications.install()``, the one entry point the tests and the sandbox use.
"""

import functools

from moto.autoscaling import exceptions as autoscaling_exceptions
from moto.autoscaling import models as autoscaling_models
from moto.autoscaling import responses as autoscaling_responses
from moto.core.responses import EmptyResult


def _key(group_name, policy_name):
    return "%s/%s" % (group_name, policy_name)


def _find(backend, policy_name, group_name):
    """The key of the policy named (or with the ARN) ``policy_name`` of ``group_name``."""
    for key, policy in backend.policies.items():
        if policy.arn == policy_name or (policy.name == policy_name and policy.auto_scaling_group_name == group_name):
            return key
    return None


def _put_per_group(method):
    @functools.wraps(method)
    def put_scaling_policy(self, name, *args, **kwargs):
        policy = method(self, name, *args, **kwargs)
        # moto stored it under its bare name; installed before the first request, every other
        # policy is under its group and name, so nothing else was overwritten
        self.policies[_key(policy.auto_scaling_group_name, name)] = self.policies.pop(name)
        return policy
    put_scaling_policy.streamfleet_per_group = True
    return put_scaling_policy


def _drop_policies_with_group(method):
    @functools.wraps(method)
    def delete_auto_scaling_group(self, group_name, *args, **kwargs):
        result = method(self, group_name, *args, **kwargs)
        for key in [k for k, policy in self.policies.items() if policy.auto_scaling_group_name == group_name]:
            del self.policies[key]
        return result
    delete_auto_scaling_group.streamfleet_drops_policies = True
    return delete_auto_scaling_group


def delete_policy(self):
    key = _find(self.autoscaling_backend, self._get_param("PolicyName"), self._get_param("AutoScalingGroupName"))
    if key is not None:
        del self.autoscaling_backend.policies[key]
    return EmptyResult()


def execute_policy(self):
    name = self._get_param("PolicyName")
    key = _find(self.autoscaling_backend, name, self._get_param("AutoScalingGroupName"))
    if key is None:
        raise autoscaling_exceptions.ValidationError("No such policy: %s" % name)
    self.autoscaling_backend.execute_policy(key)
    return EmptyResult()


def install(setter=setattr):
    """Key moto's scaling policies by group and name. Installing twice changes nothing."""
    backend = autoscaling_models.AutoScalingBackend
    if not getattr(backend.put_scaling_policy, "streamfleet_per_group", False):
        setter(backend, "put_scaling_policy", _put_per_group(backend.put_scaling_policy))
    if not getattr(backend.delete_auto_scaling_group, "streamfleet_drops_policies", False):
        setter(backend, "delete_auto_scaling_group", _drop_policies_with_group(backend.delete_auto_scaling_group))
    setter(autoscaling_responses.AutoScalingResponse, "delete_policy", delete_policy)
    setter(autoscaling_responses.AutoScalingResponse, "execute_policy", execute_policy)
