# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""IAM for streamfleet.cluster instances: one role that EC2 may assume, its inline and managed
policies, and an instance profile of the same name holding it (``aws_instance_profile``).

Everything lives under the path ``/streamfleet/`` and carries the deployment tags, so that
teardown and the info module find it by tag and path. :func:`drain_agent_policy` builds the
least-privilege policy of the drain agent (docs/aws-modules.md shows it).

IAM is eventually consistent: a role or instance profile that was just created can be unknown
for a few seconds to IAM itself (the module waits for it with IAM's own ``role_exists`` and
``instance_profile_exists`` waiters) and, for about ten seconds, to EC2 (a launch with the new
profile may be refused with "Invalid IamInstanceProfile"; Auto Scaling retries its launches by
itself, a single ``RunInstances`` does not).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import re
import time

from ansible.module_utils.six import string_types
from ansible.module_utils.six.moves.urllib.parse import unquote

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import ConvergeError, Converger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.retries import is_error
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import boto3_tag_list, tag_changes, tag_dict

try:
    from botocore.exceptions import ClientError
except ImportError:  # reported by the shared AWS module class
    ClientError = Exception

DEFAULT_PATH = '/streamfleet/'

# IAM API Reference, CreateRole / CreateInstanceProfile / PutRolePolicy
# (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html and siblings):
# RoleName 1-64 characters of [\w+=,.@-]+; InstanceProfileName 1-128 of the same characters
# (one name serves both here, so 64); PolicyName 1-128 of the same characters; Path 1-512
# characters, "/" alone or starting and ending with "/" with printable ASCII (! to ~) between.
NAME_PATTERN = re.compile(r'^[\w+=,.@-]+$')
ROLE_NAME_MAX = 64
POLICY_NAME_MAX = 128
PATH_PATTERN = re.compile(r'^(/|/[\x21-\x7e]+/)$')
PATH_MAX = 512
# IAM policy grammar: Version is 2012-10-17 (current) or 2008-10-17 (the old one, without
# policy variables); a document without Version is read as 2008-10-17, which is never wanted.
POLICY_VERSIONS = ('2012-10-17', '2008-10-17')

EC2_TRUST_POLICY = {
    'Version': '2012-10-17',
    'Statement': [{
        'Effect': 'Allow',
        'Principal': {'Service': 'ec2.amazonaws.com'},
        'Action': 'sts:AssumeRole',
    }],
}


class IAMError(ConvergeError):
    """Invalid task input or a state the module refuses to change; nothing was changed."""


def parse_policy(value, where):
    """A policy document given as a dict or a JSON string -> dict; IAMError when it cannot be one."""
    if isinstance(value, string_types):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise IAMError('%s: not valid JSON (%s)' % (where, exc))
    if not isinstance(value, dict):
        raise IAMError('%s: a policy document is a JSON object, not %s' % (where, type(value).__name__))
    if value.get('Version') not in POLICY_VERSIONS:
        raise IAMError('%s: Version must be present and one of %s (found %r)'
                       % (where, ', '.join(POLICY_VERSIONS), value.get('Version')))
    statements = value.get('Statement')
    if isinstance(statements, dict):
        statements = [statements]
    if not statements or not isinstance(statements, list) or not all(isinstance(s, dict) for s in statements):
        raise IAMError('%s: Statement must be an object or a non-empty list of objects' % where)
    for index, statement in enumerate(statements):
        if statement.get('Effect') not in ('Allow', 'Deny'):
            raise IAMError('%s: Statement[%d].Effect must be Allow or Deny' % (where, index))
    return value


_LIST_KEYS = ('Action', 'NotAction', 'Resource', 'NotResource')


def normalize_policy(document):
    """A policy document in comparable form: Statement a list, Action/Resource lists sorted.

    IAM keeps a document as it was sent, so "s3:Get" and ["s3:Get"] are the same permission
    but different text; this compares meaning, not spelling (keys are sorted when dumped).
    """
    if document is None:
        return None
    document = json.loads(json.dumps(document))
    statements = document.get('Statement')
    if isinstance(statements, dict):
        statements = [statements]
    normalized = []
    for statement in statements or []:
        statement = dict(statement)
        for key in _LIST_KEYS:
            value = statement.get(key)
            if isinstance(value, string_types):
                statement[key] = [value]
            elif isinstance(value, list):
                statement[key] = sorted(value)
        principal = statement.get('Principal')
        if isinstance(principal, dict):
            statement['Principal'] = dict((k, sorted(v) if isinstance(v, list) else [v]) for k, v in principal.items())
        normalized.append(statement)
    document['Statement'] = normalized
    return document


def same_policy(left, right):
    return json.dumps(normalize_policy(left), sort_keys=True) == json.dumps(normalize_policy(right), sort_keys=True)


def decode_document(value):
    """IAM answers carry documents URL-encoded; boto3 decodes them into dicts, but not always."""
    if isinstance(value, string_types):
        return json.loads(unquote(value))
    return value


def auto_scaling_group_arn(region, account_id, group_name, partition='aws'):
    """ARN pattern of one Auto Scaling group by name (the group's UUID part is a wildcard)."""
    return 'arn:%s:autoscaling:%s:%s:autoScalingGroup:*:autoScalingGroupName/%s' % (
        partition, region, account_id, group_name)


def drain_agent_policy(region, account_id, group_names, target_group_arns=None, partition='aws'):
    """Least-privilege policy of the drain agent running on the instances of ``group_names``.

    - CompleteLifecycleAction and RecordLifecycleActionHeartbeat on those groups only (both
      take the autoScalingGroup resource type);
    - DescribeAutoScalingInstances on "*": the Service Authorization Reference for Amazon EC2
      Auto Scaling (https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazonec2autoscaling.html)
      lists no resource type for it, and an action without one must be granted on all resources;
    - elasticloadbalancing:DeregisterTargets on ``target_group_arns``, when the agent takes its
      own instance out of the balancer's target groups (omitted when none are given).
    """
    if isinstance(group_names, string_types):
        group_names = [group_names]
    groups = [auto_scaling_group_arn(region, account_id, name, partition) for name in group_names]
    statements = [
        {
            'Sid': 'LifecycleActionsOfOwnGroup',
            'Effect': 'Allow',
            'Action': ['autoscaling:CompleteLifecycleAction', 'autoscaling:RecordLifecycleActionHeartbeat'],
            'Resource': groups,
        },
        {
            'Sid': 'FindOwnGroup',
            'Effect': 'Allow',
            'Action': ['autoscaling:DescribeAutoScalingInstances'],
            'Resource': '*',
        },
    ]
    if target_group_arns:
        statements.append({
            'Sid': 'LeaveOwnTargetGroups',
            'Effect': 'Allow',
            'Action': ['elasticloadbalancing:DeregisterTargets'],
            'Resource': sorted(target_group_arns),
        })
    return {'Version': '2012-10-17', 'Statement': statements}


def validate(params):
    """Check an aws_instance_profile task without calling AWS; raise IAMError listing every problem."""
    errors = []
    name = params.get('name') or ''
    if not NAME_PATTERN.match(name) or len(name) > ROLE_NAME_MAX:
        errors.append('name %r must be 1-%d characters of letters, digits and _+=,.@- '
                      '(the role name rule, which the instance profile of the same name meets too)' % (name, ROLE_NAME_MAX))
    path = params.get('path') or ''
    if not PATH_PATTERN.match(path) or len(path) > PATH_MAX:
        errors.append("path %r must be '/' or start and end with '/', printable ASCII between, at most %d characters"
                      % (path, PATH_MAX))
    if params.get('state', 'present') == 'absent':
        if errors:
            raise IAMError('; '.join(errors))
        return {}
    documents = {}
    for policy_name, document in sorted((params.get('inline_policies') or {}).items()):
        if not NAME_PATTERN.match(policy_name) or len(policy_name) > POLICY_NAME_MAX:
            errors.append('inline_policies: name %r must be 1-%d characters of letters, digits and _+=,.@-'
                          % (policy_name, POLICY_NAME_MAX))
        try:
            documents[policy_name] = parse_policy(document, 'inline_policies.%s' % policy_name)
        except IAMError as exc:
            errors.append(str(exc))
    for policy_name in params.get('absent_inline_policies') or []:
        if not NAME_PATTERN.match(policy_name) or len(policy_name) > POLICY_NAME_MAX:
            errors.append('absent_inline_policies: name %r must be 1-%d characters of letters, digits and _+=,.@-'
                          % (policy_name, POLICY_NAME_MAX))
        elif policy_name in documents or policy_name in (params.get('inline_policies') or {}):
            errors.append('absent_inline_policies: %s is also declared in inline_policies' % policy_name)
    for arn in params.get('managed_policy_arns') or []:
        if not re.match(r'^arn:aws[\w-]*:iam::(aws|\d{12}):policy/', arn):
            errors.append('managed_policy_arns: %r is not an IAM policy ARN (arn:aws:iam::<account|aws>:policy/...)' % arn)
    if errors:
        raise IAMError('; '.join(errors))
    return documents


class InstanceProfileConverger(Converger):
    """The ``aws_instance_profile`` task: role, its policies, the instance profile holding it."""

    input_rules = 'aws_instance_profile'  # validation.INPUT_RULES, checked before validate()

    error = IAMError

    def describe(self):
        return 'IAM role and instance profile %s' % self.params['name']

    @property
    def iam(self):
        return self.client('iam')

    def validate(self):
        self.documents = validate(self.params)

    # ------------------------------------------------------------------ reads
    def get_role(self):
        try:
            return self.iam.get_role(aws_retry=True, RoleName=self.params['name'])['Role']
        except ClientError as exc:
            if is_error(exc, 'NoSuchEntity'):
                return None
            raise

    def get_profile(self):
        try:
            return self.iam.get_instance_profile(aws_retry=True, InstanceProfileName=self.params['name'])['InstanceProfile']
        except ClientError as exc:
            if is_error(exc, 'NoSuchEntity'):
                return None
            raise

    def _until_readable(self, kind, get, delay=2, attempts=15):
        """Wait until IAM's eventual consistency lets the new ``kind`` be read.

        Through ``get`` (a retried read), not botocore's RoleExists/InstanceProfileExists
        waiters: those give up on the first throttling answer.
        """
        for attempt in range(attempts):
            if get() is not None:
                return
            if attempt + 1 < attempts:
                time.sleep(delay)
        raise ConvergeError('the new %s %s did not become readable within %d s'
                            % (kind, self.params['name'], delay * attempts))

    def _lists_all_policies(self):
        """True when the role's complete policy lists are needed: to delete what is not declared
        (``purge_policies``) or everything (``state=absent``).

        Otherwise only the declared policies are read: each inline policy named in
        ``inline_policies`` or ``absent_inline_policies`` with one GetRolePolicy (NoSuchEntity:
        not there) and the attached managed policies only when some are declared. Neither ListRolePolicies nor (without managed_policy_arns)
        ListAttachedRolePolicies is called, and ``before``/``after`` show the declared policies only.
        """
        return self.params['state'] == 'absent' or self.params['purge_policies']

    def _get_inline(self, policy_name):
        try:
            answer = self.iam.get_role_policy(aws_retry=True, RoleName=self.params['name'], PolicyName=policy_name)
        except ClientError as exc:
            if is_error(exc, 'NoSuchEntity'):
                return None
            raise
        return decode_document(answer['PolicyDocument'])

    def read(self):
        name = self.params['name']
        self.role = self.get_role()
        self.profile = self.get_profile()
        self.inline = {}
        self.attached = []
        if self.role is not None:
            if self._lists_all_policies():
                for policy_name in self.iam.paginate('list_role_policies', 'PolicyNames', RoleName=name):
                    document = self._get_inline(policy_name)
                    if document is not None:  # deleted between the list and the read
                        self.inline[policy_name] = document
                self.attached = sorted(p['PolicyArn'] for p in
                                       self.iam.paginate('list_attached_role_policies', 'AttachedPolicies', RoleName=name))
            else:
                for policy_name in sorted(set(self.documents) | set(self._absent_inline())):
                    document = self._get_inline(policy_name)
                    if document is not None:
                        self.inline[policy_name] = document
                wanted = set(self.params.get('managed_policy_arns') or [])
                if wanted:
                    # IAM has no "is this one attached" read: list, keep the declared ones
                    self.attached = sorted(p['PolicyArn'] for p in self.iam.paginate(
                        'list_attached_role_policies', 'AttachedPolicies', RoleName=name) if p['PolicyArn'] in wanted)
        self.before = self._view(self.role, self.profile, self.inline, self.attached)

    def _view(self, role, profile, inline, attached):
        if role is None and profile is None:
            return {}
        view = {}
        if role is not None:
            view['role'] = dict(name=role['RoleName'], path=role.get('Path'), arn=role.get('Arn'),
                                description=role.get('Description'),
                                trust_policy=normalize_policy(decode_document(role.get('AssumeRolePolicyDocument'))),
                                tags=tag_dict(role.get('Tags')))
            view['inline_policies'] = dict((n, normalize_policy(d)) for n, d in inline.items())
            view['managed_policy_arns'] = sorted(attached)
        if profile is not None:
            view['instance_profile'] = dict(name=profile['InstanceProfileName'], path=profile.get('Path'),
                                            arn=profile.get('Arn'),
                                            roles=sorted(r['RoleName'] for r in profile.get('Roles', [])),
                                            tags=tag_dict(profile.get('Tags')))
        return view

    def _check_owner(self, kind, name, obj):
        if obj is None:
            return
        self.refuse_foreign(kind, name, tag_dict(obj.get('Tags')))
        if obj.get('Path') != self.params['path']:
            raise IAMError('%s %s exists under path %s, not %s; IAM cannot move it (remove it or set path: %s)'
                           % (kind, name, obj.get('Path'), self.params['path'], obj.get('Path')))

    # ------------------------------------------------------------------ apply
    def apply(self):
        name = self.params['name']
        self._check_owner('IAM role', name, self.role)
        self._check_owner('Instance profile', name, self.profile)
        if self.params['state'] == 'absent':
            self._absent()
        else:
            self._present()

    def _present(self):
        p = self.params
        name = p['name']
        tags = self.deployment_tags()
        role = self.role
        if role is None:
            if self.change('create role %s' % name):
                kwargs = dict(RoleName=name, Path=p['path'], AssumeRolePolicyDocument=json.dumps(EC2_TRUST_POLICY),
                              Tags=boto3_tag_list(tags))
                if p.get('description'):
                    kwargs['Description'] = p['description']
                # CreateRole takes no client token: after a failure, look for the role first
                role = self.iam.create_once('create_role', self.get_role, **kwargs)
                role = role.get('Role', role)
                self._until_readable('role', self.get_role)
            role_tags = {}
        else:
            if not same_policy(decode_document(role.get('AssumeRolePolicyDocument')), EC2_TRUST_POLICY):
                if self.change('set the trust policy of role %s to EC2' % name):
                    self.iam.update_assume_role_policy(aws_retry=True, RoleName=name,
                                                       PolicyDocument=json.dumps(EC2_TRUST_POLICY))
            if p.get('description') is not None and role.get('Description', '') != p['description']:
                if self.change('update the description of role %s' % name):
                    self.iam.update_role(aws_retry=True, RoleName=name, Description=p['description'])
            role_tags = tag_dict(role.get('Tags'))
            self._converge_tags('role', role_tags, tags,
                                lambda t: self.iam.tag_role(aws_retry=True, RoleName=name, Tags=t),
                                lambda k: self.iam.untag_role(aws_retry=True, RoleName=name, TagKeys=k))
        self._converge_policies(role is None)

        profile = self.profile
        if profile is None:
            if self.change('create instance profile %s' % name):
                profile = self.iam.create_once('create_instance_profile', self.get_profile, InstanceProfileName=name,
                                               Path=p['path'], Tags=boto3_tag_list(tags))
                profile = profile.get('InstanceProfile', profile)
                self._until_readable('instance profile', self.get_profile)
            profile_tags = {}
            roles_in_profile = []
        else:
            profile_tags = tag_dict(profile.get('Tags'))
            self._converge_tags('instance profile', profile_tags, tags,
                                lambda t: self.iam.tag_instance_profile(aws_retry=True, InstanceProfileName=name, Tags=t),
                                lambda k: self.iam.untag_instance_profile(aws_retry=True, InstanceProfileName=name, TagKeys=k))
            roles_in_profile = [r['RoleName'] for r in profile.get('Roles', [])]
        for other in sorted(r for r in roles_in_profile if r != name):
            # an instance profile holds one role at most
            if self.change('remove role %s from instance profile %s' % (other, name)):
                self.iam.remove_role_from_instance_profile(aws_retry=True, InstanceProfileName=name, RoleName=other)
        if name not in roles_in_profile and self.change('add role %s to instance profile %s' % (name, name)):
            # not idempotent (a second add fails with LimitExceeded): after a lost answer, look first
            self.iam.create_once('add_role_to_instance_profile', self._role_in_profile,
                                 InstanceProfileName=name, RoleName=name)

        final_tags = dict(role_tags if not p['purge_tags'] else {}, **tags)
        self.after = dict(
            role=dict(name=name, path=p['path'], arn=(role or {}).get('Arn'), description=p.get('description')
                      if p.get('description') is not None else (role or {}).get('Description'),
                      trust_policy=normalize_policy(EC2_TRUST_POLICY), tags=final_tags),
            inline_policies=self._inline_after(),
            managed_policy_arns=self._managed_after(),
            instance_profile=dict(name=name, path=p['path'], arn=(profile or {}).get('Arn'), roles=[name],
                                  tags=dict(profile_tags if not p['purge_tags'] else {}, **tags)),
        )
        self.result.update(
            role_name=name, role_arn=(role or {}).get('Arn'),
            instance_profile_name=name, instance_profile_arn=(profile or {}).get('Arn'),
            path=p['path'], inline_policies=sorted(self._inline_after()),
            managed_policy_arns=self._managed_after(), tags=final_tags,
        )

    def _role_in_profile(self):
        profile = self.get_profile()
        if profile and any(r['RoleName'] == self.params['name'] for r in profile.get('Roles', [])):
            return profile
        return None

    def _converge_tags(self, kind, current, wanted, tag, untag):
        to_set, to_unset = tag_changes(current, wanted, purge=self.params['purge_tags'])
        if to_set and self.change('tag %s %s: %s' % (kind, self.params['name'], sorted(to_set))):
            tag(boto3_tag_list(to_set))
        if to_unset and self.change('untag %s %s: %s' % (kind, self.params['name'], to_unset)):
            untag(to_unset)

    def _absent_inline(self):
        return self.params.get('absent_inline_policies') or []

    def _inline_after(self):
        after = {}
        if not self.params['purge_policies']:
            after = dict((n, normalize_policy(d)) for n, d in self.inline.items() if n not in self._absent_inline())
        after.update((n, normalize_policy(d)) for n, d in self.documents.items())
        return after

    def _managed_after(self):
        wanted = set(self.params.get('managed_policy_arns') or [])
        if not self.params['purge_policies']:
            wanted |= set(self.attached)
        return sorted(wanted)

    def _converge_policies(self, new_role):
        name = self.params['name']
        purge = self.params['purge_policies']
        for policy_name in sorted(set(self.inline) - set(self.documents)):
            if (purge or policy_name in self._absent_inline()) and self.change('delete inline policy %s of role %s' % (policy_name, name)):
                self.iam.delete_role_policy(aws_retry=True, RoleName=name, PolicyName=policy_name)
        for policy_name, document in sorted(self.documents.items()):
            have = self.inline.get(policy_name)
            if have is not None and same_policy(have, document):
                continue
            verb = 'create' if have is None else 'update'
            if self.change('%s inline policy %s of role %s' % (verb, policy_name, name)):
                # PutRolePolicy replaces the document: idempotent, so retried
                self.iam.put_role_policy(aws_retry=True, RoleName=name, PolicyName=policy_name,
                                         PolicyDocument=json.dumps(document, sort_keys=True))
        wanted = set(self.params.get('managed_policy_arns') or [])
        for arn in sorted(set(self.attached) - wanted):
            if purge and self.change('detach managed policy %s from role %s' % (arn, name)):
                self.iam.detach_role_policy(aws_retry=True, RoleName=name, PolicyArn=arn)
        for arn in sorted(wanted - set(self.attached)):
            if self.change('attach managed policy %s to role %s' % (arn, name)):
                try:
                    self.iam.attach_role_policy(aws_retry=True, RoleName=name, PolicyArn=arn)
                except ClientError as exc:
                    if is_error(exc, 'NoSuchEntity', 'InvalidInput'):
                        raise IAMError('managed_policy_arns: %s does not exist or cannot be attached (%s)' % (arn, exc))
                    raise

    # ------------------------------------------------------------------ absent
    def _absent(self):
        name = self.params['name']
        if self.profile is not None:
            for role_name in sorted(r['RoleName'] for r in self.profile.get('Roles', [])):
                if self.change('remove role %s from instance profile %s' % (role_name, name)):
                    self.iam.remove_role_from_instance_profile(aws_retry=True, InstanceProfileName=name, RoleName=role_name)
            if self.change('delete instance profile %s' % name):
                self.iam.delete_instance_profile(aws_retry=True, InstanceProfileName=name)
        if self.role is None:
            return
        # DeleteRole refuses a role that still has policies or sits in an instance profile
        for profile in self.iam.paginate('list_instance_profiles_for_role', 'InstanceProfiles', RoleName=name):
            if profile['InstanceProfileName'] == name:
                continue
            if self.change('remove role %s from instance profile %s' % (name, profile['InstanceProfileName'])):
                self.iam.remove_role_from_instance_profile(aws_retry=True, InstanceProfileName=profile['InstanceProfileName'],
                                                           RoleName=name)
        for policy_name in sorted(self.inline):
            if self.change('delete inline policy %s of role %s' % (policy_name, name)):
                self.iam.delete_role_policy(aws_retry=True, RoleName=name, PolicyName=policy_name)
        for arn in self.attached:
            if self.change('detach managed policy %s from role %s' % (arn, name)):
                self.iam.detach_role_policy(aws_retry=True, RoleName=name, PolicyArn=arn)
        if self.change('delete role %s' % name):
            self.iam.delete_role(aws_retry=True, RoleName=name)

    def report(self):
        if self.params['state'] == 'absent':
            self.result.update(role_name=self.params['name'], instance_profile_name=self.params['name'])
        return self.result
