#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: aws_instance_profile
short_description: IAM role for EC2 instances with its policies, and the instance profile holding it
version_added: 0.2.0
description:
  - Creates, converges and removes an IAM role that EC2 may assume (trust policy for
    C(ec2.amazonaws.com)), its inline policies and attached managed policies, and an instance
    profile of the same name that holds the role. Launch templates name the instance profile in
    O(streamfleet.cluster.aws_launch_template#module:iam_instance_profile).
  - Role and instance profile live under O(path) (default C(/streamfleet/)) and carry the
    C(streamfleet:deployment) and C(streamfleet:managed-by) tags plus O(tags); a role or profile
    of that name without the deployment's tag, or under another path, is refused, never adopted.
  - Names, paths and policy documents (JSON object, C(Version) present, C(Statement) with
    C(Effect)) are checked before any call.
  - Policy documents are compared by meaning (key order, a single action as a string or a
    one-element list); the diff shows them before and after, normalised.
  - O(state=absent) removes the role from the instance profile, deletes the profile, the inline
    policies, detaches the managed policies and deletes the role.
  - IAM is eventually consistent. The module waits until IAM itself knows a role or profile it
    created, but EC2 may refuse a just-created instance profile for about ten seconds
    ("Invalid IamInstanceProfile"). Auto Scaling retries its launches by itself; a single
    M(streamfleet.cluster.aws_instance) launched right after may need a retry (C(until)/C(retries)).
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
  - streamfleet.cluster.tags
attributes:
  check_mode:
    support: full
    description: Reports what would change without calling any IAM operation that changes something.
  diff_mode:
    support: full
    description:
      - Returns the role (trust policy, tags), its inline policy documents (normalised JSON),
        managed policies and the instance profile, before and after.
options:
  name:
    description:
      - Name of the role and of the instance profile, 1-64 characters of letters, digits and C(_+=,.@-)
        (IAM's role name rule; the instance profile, which allows 128, takes the same name).
      - Required unless O(profiles) is given.
    type: str
  profiles:
    description:
      - Several roles with their instance profiles in one task (one Python process and one set
        of clients for all of them, instead of a task per profile), converged in their order.
      - Each entry is a dict of this module's per-profile options (O(name), O(state), O(path),
        O(description), O(inline_policies), O(managed_policy_arns), O(absent_inline_policies),
        O(purge_policies), O(purge_tags)); an option an entry leaves out is the task's own, so
        the options the profiles share are given once at the top level. O(deployment), O(tags)
        and the connection options are the task's.
      - Every entry is checked (names, paths and policy documents included) before any call; a
        bad entry fails the task, named by its index, before anything changes.
      - Mutually exclusive with O(name).
    type: list
    elements: dict
  state:
    description: V(present) creates or converges role, policies and profile; V(absent) removes them.
    type: str
    choices: [present, absent]
    default: present
  deployment:
    description: The deployment the role and profile belong to (value of the C(streamfleet:deployment) tag).
    type: str
    required: true
  path:
    description:
      - IAM path of the role and the instance profile; V(/) or starting and ending with V(/).
      - IAM cannot move a role or profile to another path; the module refuses one found elsewhere.
    type: str
    default: /streamfleet/
  description:
    description: Description of the role. Omit to leave an existing description as it is.
    type: str
  inline_policies:
    description:
      - Inline policies of the role, by policy name (1-128 characters of letters, digits and
        C(_+=,.@-)); each a policy document as a dict or a JSON string, with C(Version)
        (V(2012-10-17)) and C(Statement).
      - With O(purge_policies=true) inline policies not named here are deleted.
    type: dict
    default: {}
  managed_policy_arns:
    description:
      - ARNs of managed policies attached to the role (AWS managed or the account's own).
      - With O(purge_policies=true) policies attached but not listed here are detached.
    type: list
    elements: str
    default: []
  absent_inline_policies:
    description:
      - Names of inline policies the role must not have; each is deleted when present.
      - For O(purge_policies=false), which reads only the policies it is given, so that a policy
        a deployment no longer declares (the drain agent's, once draining is turned off) is
        still removed. Not needed with O(purge_policies=true), which removes every undeclared one.
      - A name may not be in O(inline_policies) too.
    type: list
    elements: str
    default: []
  purge_policies:
    description:
      - The role has exactly the declared inline and managed policies (least privilege).
      - V(false) only adds and updates, leaving other policies alone (except those named in
        O(absent_inline_policies), which are deleted). It also reads less, each inline policy
        named in O(inline_policies) or O(absent_inline_policies) with one C(GetRolePolicy), and
        the attached managed policies (C(ListAttachedRolePolicies)) only when
        O(managed_policy_arns) is not empty; the role's policy lists are not read (no
        C(ListRolePolicies)). The diff and the RV(inline_policies) and RV(managed_policy_arns)
        results then show the declared policies only, not the others the role may have.
      - V(true) reads the role's complete policy lists, as removing the undeclared ones needs.
    type: bool
    default: true
notes:
  - moto, the local stand-in used by the tests, does not implement C(ListInstanceProfileTags) (the
    module reads tags from C(GetInstanceProfile), as on AWS), does not list IAM roles or instance
    profiles in the Resource Groups Tagging API, loads no AWS managed policies unless asked to,
    accepts role names longer than 64 characters and with any character (the module checks them),
    does not evaluate policies and has no propagation delay.
seealso:
  - name: IAM roles for Amazon EC2
    description: How an instance gets the role's credentials through its instance profile.
    link: https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/iam-roles-for-amazon-ec2.html
'''

EXAMPLES = r'''
- name: Role and instance profile of the Ant Media edges, for the drain agent
  streamfleet.cluster.aws_instance_profile:
    name: ams-edge
    deployment: ams
    description: Ant Media edges of deployment ams
    inline_policies:
      drain-agent:
        Version: "2012-10-17"
        Statement:
          - Sid: LifecycleActionsOfOwnGroup
            Effect: Allow
            Action: [autoscaling:CompleteLifecycleAction, autoscaling:RecordLifecycleActionHeartbeat]
            Resource: "arn:aws:autoscaling:eu-west-1:123456789012:autoScalingGroup:*:autoScalingGroupName/ams-edge"
          - Sid: FindOwnGroup
            Effect: Allow
            Action: autoscaling:DescribeAutoScalingInstances
            Resource: "*"
  register: edge_profile

- name: Launch template using it
  streamfleet.cluster.aws_launch_template:
    name: ams-edge
    deployment: ams
    image_id: "{{ image_id }}"
    instance_type: c5.xlarge
    iam_instance_profile: "{{ edge_profile.instance_profile_arn }}"

- name: A policy given as JSON text, plus a managed policy
  streamfleet.cluster.aws_instance_profile:
    name: wcs-origin
    deployment: wcs
    inline_policies:
      read-secret: "{{ lookup('ansible.builtin.file', 'read-secret.json') }}"
    managed_policy_arns:
      - arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore

- name: Fewer reads on a rerun - only the named policies are read, the drain policy removed when off
  streamfleet.cluster.aws_instance_profile:
    name: ams-edge
    deployment: ams
    purge_policies: false
    inline_policies:
      read-secret: "{{ lookup('ansible.builtin.file', 'read-secret.json') }}"
    absent_inline_policies: "{{ [] if drain_enabled else ['drain-agent'] }}"

- name: The roles of MongoDB and of the nodes in one task (the shared options once)
  streamfleet.cluster.aws_instance_profile:
    deployment: ams
    purge_policies: false
    profiles:
      - name: ams-mongodb
        inline_policies:
          read-secret: "{{ lookup('ansible.builtin.file', 'read-secret.json') }}"
      - name: ams-nodes
        inline_policies:
          read-secret: "{{ lookup('ansible.builtin.file', 'read-secret.json') }}"
        absent_inline_policies: "{{ [] if drain_enabled else ['drain-agent'] }}"
  register: profiles

- name: Remove role, policies and instance profile
  streamfleet.cluster.aws_instance_profile:
    name: ams-edge
    deployment: ams
    state: absent
'''

RETURN = r'''
results:
  description:
    - With O(profiles), one result per entry in their order, each with the keys below
      (C(changed), C(changes), C(diff) included); the task's C(changed) is true when any entry
      changed and its C(changes) names each entry's changes.
  returned: when O(profiles) is given
  type: list
  elements: dict
  sample: [{"instance_profile_name": "ams-nodes", "role_name": "ams-nodes", "changed": false}]
instance_profile_name:
  description: Name of the instance profile (the same as the role's).
  returned: always (with O(profiles), in each entry of RV(results))
  type: str
  sample: ams-edge
instance_profile_arn:
  description: ARN of the instance profile, for a launch template's O(streamfleet.cluster.aws_launch_template#module:iam_instance_profile).
  returned: when state=present (V(null) in check mode before it exists)
  type: str
  sample: arn:aws:iam::123456789012:instance-profile/streamfleet/ams-edge
role_name:
  description: Name of the role.
  returned: always
  type: str
  sample: ams-edge
role_arn:
  description: ARN of the role.
  returned: when state=present (V(null) in check mode before it exists)
  type: str
  sample: arn:aws:iam::123456789012:role/streamfleet/ams-edge
path:
  description: IAM path of role and profile.
  returned: when state=present
  type: str
  sample: /streamfleet/
inline_policies:
  description:
    - Names of the role's inline policies after the run.
    - With O(purge_policies=false) the declared ones only (the others are not read).
  returned: when state=present
  type: list
  elements: str
  sample: [drain-agent]
managed_policy_arns:
  description:
    - Managed policies attached to the role after the run.
    - With O(purge_policies=false) the declared ones only (the others are not read).
  returned: when state=present
  type: list
  elements: str
  sample: []
tags:
  description: Tags of the role after the run.
  returned: when state=present
  type: dict
  sample: {"streamfleet:deployment": ams, "streamfleet:managed-by": streamfleet.cluster}
changes:
  description: What the module changed (or would change in check mode), one line each.
  returned: always
  type: list
  elements: str
  sample: ["create role ams-edge", "create inline policy drain-agent of role ams-edge", "create instance profile ams-edge",
           "add role ams-edge to instance profile ams-edge"]
api_calls:
  description: Number of AWS calls made, per service.Operation.
  returned: always
  type: dict
  sample: {iam.GetRole: 1, iam.GetInstanceProfile: 1}
'''

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import relaxed_spec, run_each
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.iam import DEFAULT_PATH, InstanceProfileConverger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge


def profile_spec():
    """The options of one role and instance profile: the task's, or an entry of ``profiles``."""
    return dict(
        name=dict(type='str', required=True),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        path=dict(type='str', default=DEFAULT_PATH),
        description=dict(type='str'),
        inline_policies=dict(type='dict', default={}),
        managed_policy_arns=dict(type='list', elements='str', default=[]),
        absent_inline_policies=dict(type='list', elements='str', default=[]),
        purge_policies=dict(type='bool', default=True),
        purge_tags=dict(type='bool', default=False),
    )


def argument_spec():
    return dict(relaxed_spec(profile_spec()),
                profiles=dict(type='list', elements='dict'),
                deployment=dict(type='str', required=True))


@module_edge
def main():
    module = StreamfleetAWSModule(argument_spec(), supports_check_mode=True,
                                  mutually_exclusive=[('name', 'profiles')],
                                  required_one_of=[('name', 'profiles')])
    run_each(module, InstanceProfileConverger, 'profiles', profile_spec())


if __name__ == '__main__':
    main()
