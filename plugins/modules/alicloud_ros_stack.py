#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: alicloud_ros_stack
short_description: Create, update or delete an Alibaba Cloud Resource Orchestration Service (ROS) stack
version_added: 0.1.0
description:
  - Applies a ROS template as one stack through the official SDK (C(alibabacloud_ros20190910)).
  - A new stack is created with C(CreateStack); an existing stack is updated with C(UpdateStack)
    only when its template (as C(GetTemplate) returns it), its parameters (as C(GetStack) returns
    them) or the requested tags differ; otherwise nothing is called and C(changed=false).
  - In check mode the module calls C(PreviewStack), which validates the template and lists the
    resources a create or update would add, modify or remove, and writes nothing.
  - Waits for the stack to leave C(*_IN_PROGRESS) with a bounded timeout and returns the
    observed status changes as O(ignore:progress) lines, the stack outputs and its resources.
  - When a stack operation fails, the failure message names every failed resource with its
    status reason.
author: streamfleet maintainers (@streamfleet)
requirements:
  - alibabacloud_ros20190910
  - alibabacloud_tea_openapi
attributes:
  check_mode:
    support: full
    description: Uses C(PreviewStack); never creates, updates or deletes.
  diff_mode:
    support: full
    description: Shows template, parameters (C(NoEcho) ones masked) and tags before and after.
options:
  name:
    description:
      - Stack name, unique in the region. Letters, digits, C(-) and C(_), starting with a letter or digit.
    type: str
    required: true
    aliases: [stack_name]
  state:
    description: Whether the stack should exist.
    type: str
    choices: [present, absent]
    default: present
  template:
    description:
      - The ROS template, as a dictionary or as a JSON or YAML string.
      - Sent to ROS as JSON. Required when O(state=present).
    type: raw
  parameters:
    description:
      - Values for the template's C(Parameters). Lists become comma-separated strings (for
        C(CommaDelimitedList)), booleans C(true)/C(false), dictionaries JSON.
      - Parameters that the stack reports masked (C(NoEcho)) cannot be compared; change the
        template or another parameter to push a new value.
    type: dict
    default: {}
  tags:
    description:
      - Tags for the stack, which ROS propagates to the resources that support tags.
      - The collection tags everything it creates with C(streamfleet:deployment); put it here.
      - Tags are added or changed, never removed, by an update.
    type: dict
    default: {}
  disable_rollback:
    description: Keep the resources of a failed create or update instead of rolling back (for debugging).
    type: bool
    default: false
  timeout_in_minutes:
    description: ROS's own timeout for one create or update.
    type: int
    default: 60
  wait:
    description: Wait until the stack operation finishes.
    type: bool
    default: true
  wait_timeout:
    description: Seconds to wait at most for the stack operation.
    type: int
    default: 3600
  wait_poll_interval:
    description: Seconds between two C(GetStack) calls while waiting.
    type: float
    default: 5.0
  endpoint:
    description:
      - ROS endpoint, for example C(ros.aliyuncs.com) or C(http://127.0.0.1:18080) for a local
        stand-in. A C(http://) prefix switches the SDK to plain HTTP.
      - Defaults to E(ALIBABA_CLOUD_ROS_ENDPOINT), then the SDK's regional endpoint.
    type: str
extends_documentation_fragment:
  - streamfleet.cluster.alicloud
notes:
  - Credentials are never logged or returned.
  - An existing stack in C(CREATE_FAILED) or C(ROLLBACK_COMPLETE) cannot be updated; the module
    fails with the failed resources' reasons. Delete it with O(state=absent) and run again.
"""

EXAMPLES = r"""
- name: Apply the cluster template
  streamfleet.cluster.alicloud_ros_stack:
    name: antmedia-prod
    region: cn-hangzhou
    template: "{{ lookup('ansible.builtin.file', 'cluster.ros.json') }}"
    parameters:
      AdminCidr: 203.0.113.0/24
    tags:
      streamfleet:deployment: antmedia-prod
    wait_timeout: 3600
  register: stack

- name: Show the load balancer address
  ansible.builtin.debug:
    msg: "{{ stack.outputs.AlbDnsName }}"

- name: Remove the stack
  streamfleet.cluster.alicloud_ros_stack:
    name: antmedia-prod
    region: cn-hangzhou
    state: absent
"""

RETURN = r"""
stack_id:
  description: Id of the stack (empty when it does not exist).
  returned: always
  type: str
  sample: 4a6c9851-3b0f-4f5f-b4ca-a14bf691****
stack_name:
  description: Name of the stack.
  returned: always
  type: str
  sample: antmedia-prod
status:
  description: Stack status after the operation (C(ABSENT) when there is no stack, C(PREVIEW) in check mode for a new stack).
  returned: always
  type: str
  sample: CREATE_COMPLETE
status_reason:
  description: ROS's reason for the status.
  returned: when a stack exists
  type: str
  sample: Stack CREATE completed successfully
outputs:
  description: Stack outputs, C(OutputKey) to C(OutputValue).
  returned: always
  type: dict
  sample: {"AlbDnsName": "alb-xxxx.cn-hangzhou.alb.aliyuncs.com"}
resources:
  description: The stack's resources as C(ListStackResources) returns them.
  returned: always
  type: list
  elements: dict
  sample:
    - logical_resource_id: Vpc
      physical_resource_id: vpc-bp1xxxx
      resource_type: ALIYUN::ECS::VPC
      status: CREATE_COMPLETE
      status_reason: state changed
parameters:
  description: Stack parameters without ROS's pseudo parameters; C(NoEcho) ones masked.
  returned: when a stack exists or is previewed
  type: dict
  sample: {"AdminCidr": "203.0.113.0/24"}
preview:
  description: In check mode, what C(PreviewStack) says a create or update would do.
  returned: in check mode when a change is needed
  type: list
  elements: dict
  sample:
    - logical_resource_id: Vpc
      resource_type: ALIYUN::ECS::VPC
      action: Add
progress:
  description: Status changes seen while waiting, one line each, prefixed by seconds elapsed.
  returned: always
  type: list
  elements: str
  sample: ["0s: CREATE_IN_PROGRESS (Stack CREATE started)", "95s: CREATE_COMPLETE"]
failed_resources:
  description: Resources whose status ends in C(_FAILED), with their reasons.
  returned: on failure of a stack operation
  type: list
  elements: dict
  sample:
    - logical_resource_id: Alb
      resource_type: ALIYUN::ALB::LoadBalancer
      status: CREATE_FAILED
      status_reason: QuotaExceeded
error:
  description: The failed API call with its error code, message and request id.
  returned: when an API call fails
  type: dict
  sample: {"action": "CreateStack", "code": "StackExists", "message": "...", "request_id": "0F0D...", "status_code": 409}
"""

import json
import re

from ansible.module_utils.common.text.converters import to_native

from ansible_collections.streamfleet.cluster.plugins.module_utils.alicloud.ros import (
    ALICLOUD_COMMON_ARGUMENT_SPEC,
    AlicloudError,
    CredentialsError,
    RosClient,
    StackWaiter,
    is_failed,
    is_in_progress,
    resolve_settings,
    snake_resource,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    StreamfleetModule,
    check_module_input,
    module_edge,
)

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover
    HAS_YAML = False

STACK_NAME = re.compile(r'^[A-Za-z0-9][A-Za-z0-9_-]{0,254}$')
# A stack in one of these states cannot be updated, only deleted.
NOT_UPDATABLE = ('CREATE_FAILED', 'ROLLBACK_COMPLETE', 'ROLLBACK_FAILED', 'DELETE_FAILED')
MASK = '********'


def parse_template(module, template):
    if isinstance(template, dict):
        doc = template
    else:
        text = to_native(template)
        try:
            doc = json.loads(text)
        except ValueError:
            if not HAS_YAML:
                module.fail_json(msg='template is not JSON and PyYAML is missing to read it as YAML')
            try:
                doc = yaml.safe_load(text)
            except yaml.YAMLError as exc:
                module.fail_json(msg='template is neither JSON nor YAML: %s' % to_native(exc))
    if not isinstance(doc, dict) or 'ROSTemplateFormatVersion' not in doc:
        module.fail_json(msg='template must be a mapping with ROSTemplateFormatVersion')
    if not isinstance(doc.get('Resources'), dict) or not doc['Resources']:
        module.fail_json(msg='template must declare at least one resource under Resources')
    # A JSON round trip gives one canonical form for comparison and for the API.
    return json.loads(json.dumps(doc, sort_keys=True, default=str))


def parse_stored_template(text):
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return yaml.safe_load(text) if HAS_YAML else None


def parameter_text(value):
    if isinstance(value, bool):
        return 'true' if value else 'false'
    if isinstance(value, (list, tuple)):
        return ','.join(parameter_text(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, sort_keys=True)
    return to_native(value)


def no_echo_names(template):
    names = set()
    for key, spec in (template or {}).get('Parameters', {}).items():
        if isinstance(spec, dict) and str(spec.get('NoEcho', '')).lower() == 'true':
            names.add(key)
    return names


def masked(parameters, secret_names):
    return dict((k, MASK if k in secret_names else v) for k, v in parameters.items())


def stack_parameters(stack):
    return dict((p['ParameterKey'], p.get('ParameterValue', ''))
                for p in stack.get('Parameters') or []
                if not p['ParameterKey'].startswith('ALIYUN::'))


def stack_tags(stack):
    return dict((t['Key'], t.get('Value', '')) for t in stack.get('Tags') or [])


def parameters_differ(current, desired):
    for key, value in desired.items():
        have = current.get(key)
        if have is not None and have and set(have) == set('*'):
            continue  # NoEcho: ROS does not tell us the value
        if have != value:
            return True
    return False


def outputs_dict(stack):
    return dict((o['OutputKey'], o.get('OutputValue')) for o in (stack or {}).get('Outputs') or [])


def pretty(value):
    return json.dumps(value, indent=2, sort_keys=True) + '\n'


class StackManager:
    def __init__(self, module):
        self.module = module
        params = module.params
        try:
            settings = resolve_settings(params)
            self.client = RosClient(settings, params['connect_timeout'], params['read_timeout'])
        except CredentialsError as exc:
            module.fail_json(msg=to_native(exc))
        self.waiter = StackWaiter(self.client, params['wait_timeout'], params['wait_poll_interval'],
                                  log=module.log)
        self.result = dict(changed=False, stack_name=params['name'], stack_id='', status='ABSENT',
                           outputs={}, resources=[], progress=self.waiter.progress)

    def fail_api(self, error):
        self.module.fail_json(msg=error.describe(), error=error.as_dict(), **self.result)

    def describe(self, stack, secret_names):
        self.result.update(
            stack_id=stack['StackId'], status=stack.get('Status'), status_reason=stack.get('StatusReason'),
            outputs=outputs_dict(stack), parameters=masked(stack_parameters(stack), secret_names),
            resources=[snake_resource(r) for r in self.client.list_resources(stack['StackId'])],
        )

    def fail_stack(self, stack, what):
        resources = self.client.list_resources(stack['StackId'])
        failed = [snake_resource(r) for r in resources if (r.get('Status') or '').endswith('_FAILED')]
        self.result.update(stack_id=stack['StackId'], status=stack.get('Status'),
                           status_reason=stack.get('StatusReason'), failed_resources=failed,
                           resources=[snake_resource(r) for r in resources])
        details = '; '.join('%s (%s): %s' % (r['logical_resource_id'], r['resource_type'], r['status_reason'])
                            for r in failed) or 'no failed resource reported'
        self.module.fail_json(msg='%s: stack %s is %s: %s. Failed resources: %s' % (
            what, stack.get('StackName'), stack.get('Status'), stack.get('StatusReason'), details), **self.result)

    def wait(self, stack_id, what, allow_missing=False):
        try:
            return self.waiter.wait(stack_id, allow_missing=allow_missing)
        except TimeoutError as exc:
            self.result['stack_id'] = stack_id
            self.module.fail_json(msg='%s: %s' % (what, to_native(exc)), **self.result)

    # -- present ---------------------------------------------------------------------------
    def present(self):
        params = self.module.params
        template = parse_template(self.module, params['template'])
        declared = template.get('Parameters') or {}
        unknown = sorted(set(params['parameters']) - set(declared))
        if unknown:
            self.module.fail_json(msg='parameters not declared by the template: %s' % ', '.join(unknown))
        desired_params = dict((k, parameter_text(v)) for k, v in params['parameters'].items())
        desired_tags = dict((to_native(k), parameter_text(v)) for k, v in params['tags'].items())
        secret_names = no_echo_names(template)
        body = json.dumps(template, sort_keys=True)

        stack = self.client.find_stack(params['name'])
        if stack and is_in_progress(stack.get('Status')):
            if not params['wait']:
                self.module.fail_json(msg='stack %s is busy (%s); run again later or with wait=true' % (
                    params['name'], stack['Status']), **self.result)
            stack = self.wait(stack['StackId'], 'waiting for the running operation', allow_missing=True)
        if stack and stack.get('Status') in NOT_UPDATABLE:
            self.fail_stack(stack, 'cannot update; delete the stack (state=absent) and run again')

        if stack is None:
            return self.create(template, body, desired_params, desired_tags, secret_names)
        return self.update(stack, template, body, desired_params, desired_tags, secret_names)

    def create(self, template, body, desired_params, desired_tags, secret_names):
        params = self.module.params
        self.result['changed'] = True
        if self.module._diff:
            self.result['diff'] = dict(
                before='', before_header='%s (absent)' % params['name'],
                after=pretty(dict(template=template, parameters=masked(desired_params, secret_names),
                                  tags=desired_tags)),
                after_header=params['name'])
        if self.module.check_mode:
            preview = self.client.preview_stack(params['name'], body, desired_params,
                                                timeout_in_minutes=params['timeout_in_minutes'])
            self.result.update(status='PREVIEW', preview=self.preview_list(preview),
                               parameters=masked(stack_parameters(preview), secret_names))
            return
        stack_id = self.client.create_stack(params['name'], body, desired_params, desired_tags,
                                            params['disable_rollback'], params['timeout_in_minutes'])
        self.result['stack_id'] = stack_id
        self.finish(stack_id, 'CREATE', secret_names)

    def update(self, stack, template, body, desired_params, desired_tags, secret_names):
        params = self.module.params
        current_template = parse_stored_template(self.client.get_template_body(stack['StackId']))
        current_params = stack_parameters(stack)
        current_tags = stack_tags(stack)
        template_changed = current_template != template
        params_changed = parameters_differ(current_params, desired_params)
        tags_changed = any(current_tags.get(k) != v for k, v in desired_tags.items())
        if not (template_changed or params_changed or tags_changed):
            self.describe(stack, secret_names)
            return
        self.result['changed'] = True
        if self.module._diff:
            after_params = dict(current_params)
            after_params.update(desired_params)
            after_tags = dict(current_tags)
            after_tags.update(desired_tags)
            self.result['diff'] = dict(
                before=pretty(dict(template=current_template, parameters=masked(current_params, secret_names),
                                   tags=current_tags)),
                after=pretty(dict(template=template, parameters=masked(after_params, secret_names),
                                  tags=after_tags)),
                before_header='%s (stack)' % params['name'], after_header='%s (wanted)' % params['name'])
        if self.module.check_mode:
            preview = self.client.preview_stack(params['name'], body, desired_params, stack_id=stack['StackId'],
                                                timeout_in_minutes=params['timeout_in_minutes'])
            self.describe(stack, secret_names)
            self.result['preview'] = self.preview_list(preview)
            return
        self.client.update_stack(stack['StackId'], body, desired_params, desired_tags,
                                 params['disable_rollback'], params['timeout_in_minutes'])
        self.result['stack_id'] = stack['StackId']
        self.finish(stack['StackId'], 'UPDATE', secret_names)

    @staticmethod
    def preview_list(preview):
        return [dict(logical_resource_id=r.get('LogicalResourceId'), resource_type=r.get('ResourceType'),
                     action=r.get('Action'))
                for r in preview.get('Resources') or []]

    def finish(self, stack_id, verb, secret_names):
        if not self.module.params['wait']:
            stack = self.client.get_stack(stack_id) or {'StackId': stack_id}
            self.describe(stack, secret_names)
            return
        stack = self.wait(stack_id, verb.lower())
        if is_failed(stack.get('Status')) or stack.get('Status') != verb + '_COMPLETE':
            self.fail_stack(stack, '%s failed' % verb.lower())
        self.describe(stack, secret_names)

    # -- absent ----------------------------------------------------------------------------
    def absent(self):
        params = self.module.params
        stack = self.client.find_stack(params['name'])
        if stack is None:
            return
        self.result.update(changed=True, stack_id=stack['StackId'], status=stack.get('Status'))
        if self.module._diff:
            self.result['diff'] = dict(before='stack %s (%s)\n' % (params['name'], stack.get('Status')), after='')
        if self.module.check_mode:
            return
        if stack.get('Status') != 'DELETE_IN_PROGRESS':
            self.client.delete_stack(stack['StackId'])
        if not params['wait']:
            self.result['status'] = 'DELETE_IN_PROGRESS'
            return
        final = self.wait(stack['StackId'], 'delete', allow_missing=True)
        if final is not None and final.get('Status') != 'DELETE_COMPLETE':
            self.fail_stack(final, 'delete failed')
        self.result['status'] = 'DELETE_COMPLETE'


@module_edge
def main():
    argument_spec = dict(
        name=dict(type='str', required=True, aliases=['stack_name']),
        state=dict(type='str', default='present', choices=['present', 'absent']),
        template=dict(type='raw'),
        parameters=dict(type='dict', default={}),
        tags=dict(type='dict', default={}),
        disable_rollback=dict(type='bool', default=False),
        timeout_in_minutes=dict(type='int', default=60),
        wait=dict(type='bool', default=True),
        wait_timeout=dict(type='int', default=3600),
        wait_poll_interval=dict(type='float', default=5.0),
    )
    argument_spec.update(ALICLOUD_COMMON_ARGUMENT_SPEC)
    argument_spec['config_file'] = dict(type='path', default='~/.aliyun/config.json')
    module = StreamfleetModule(
        argument_spec=argument_spec,
        required_if=[('state', 'present', ['template'])],
        required_together=[('access_key_id', 'access_key_secret')],
        supports_check_mode=True,
    )
    check_module_input(module, 'alicloud_ros_stack')
    if not STACK_NAME.match(module.params['name']):
        module.fail_json(msg='name must be 1-255 letters, digits, - or _, starting with a letter or digit')
    if module.params['wait_timeout'] < 0 or module.params['wait_poll_interval'] <= 0:
        module.fail_json(msg='wait_timeout must be >= 0 and wait_poll_interval > 0')

    manager = StackManager(module)
    try:
        if module.params['state'] == 'present':
            manager.present()
        else:
            manager.absent()
    except AlicloudError as error:
        manager.fail_api(error)
    module.exit_json(**manager.result)


if __name__ == '__main__':
    main()
