#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r'''
---
module: aws_secret
short_description: A password kept where instances read it at boot - SSM SecureString parameter or Secrets Manager secret
version_added: 0.3.0
description:
  - Creates, updates and removes one secret in AWS Systems Manager Parameter Store (a
    C(SecureString) parameter, encrypted with the account's C(aws/ssm) key or O(kms_key_id)) or in
    AWS Secrets Manager (a C(SecretString)). Instances read it at boot with their instance profile
    (C(streamfleet-boot), references C(ssm:NAME) and C(secretsmanager:NAME)), so no password is ever
    in launch-template or instance user data.
  - The value is compared with the stored one (read with decryption) and written only when it
    differs; with O(update=on_create) only when the secret does not exist yet, so a password the
    play generates once is kept.
  - The value never appears in the result, the diff or a message (the diff shows C(value) as
    C((hidden)), C((changed)) or C((created))).
  - The secret carries the C(streamfleet:deployment) and C(streamfleet:managed-by) tags plus O(tags);
    one of that name without the deployment's tag is refused, never adopted or deleted.
  - Names and sizes are checked against the services' limits before any call.
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.aws
  - streamfleet.cluster.tags
attributes:
  check_mode:
    support: full
    description: Reads the secret and reports what would change, writes nothing.
  diff_mode:
    support: full
    description: ARN, type, version, KMS key, description and tags before and after; never the value.
options:
  name:
    description:
      - Parameter name (SSM, 1-2048 characters of C(a-zA-Z0-9_.-/), starting with C(/) when it has one,
        at most 15 levels, not starting with C(aws) or C(ssm)) or secret name (Secrets Manager, 1-512
        characters of C(a-zA-Z0-9/_+=.@-), not ending with a hyphen and six characters).
      - Required unless O(secrets) is given.
    type: str
  secrets:
    description:
      - Several secrets in one task (one Python process and one set of clients for all of them,
        instead of a task per secret), converged in their order.
      - Each entry is a dict of this module's per-secret options (O(name), O(store), O(value),
        O(update), O(kms_key_id), O(description), O(state), O(purge_tags)); an option an entry
        leaves out is the task's own, so the options the secrets share are given once at the
        top level. O(deployment), O(tags) and the connection options are the task's.
      - Every entry is checked (names and sizes included) before any call; a bad entry fails
        the task, named by its index, before anything changes. O(value) of every entry is kept
        out of the output as the task's own is, also when Ansible rejects the task's arguments
        before the module runs (O(name) given too, O(deployment) missing, an unknown option).
        A value given where an entry should be (an entry that is not a dict) cannot be told
        from a name and is shown as given; C(no_log) on the task, as the examples have it,
        hides that too.
      - Mutually exclusive with O(name).
    type: list
    elements: dict
  store:
    description: V(ssm) for a Parameter Store SecureString parameter, V(secretsmanager) for a Secrets Manager secret.
    type: str
    choices: [ssm, secretsmanager]
    default: ssm
  value:
    description: The secret's text (at most 4096 characters for SSM, 65536 bytes for Secrets Manager). Required with O(state=present).
    type: str
  update:
    description: V(always) writes a value that differs from the stored one; V(on_create) writes it only when creating the secret.
    type: str
    choices: [always, on_create]
    default: always
  kms_key_id:
    description:
      - KMS key (id, ARN or alias) to encrypt with; omit for the account's AWS managed key
        (C(aws/ssm), C(aws/secretsmanager)). Readers then need C(kms:Decrypt) on it.
    type: str
  description:
    description: Description of the secret. Omit to leave an existing one as it is.
    type: str
  state:
    description: V(present) creates or updates the secret; V(absent) deletes it (Secrets Manager without a recovery window).
    type: str
    choices: [present, absent]
    default: present
  deployment:
    description: The deployment the secret belongs to (value of the C(streamfleet:deployment) tag).
    type: str
    required: true
'''

EXAMPLES = r'''
- name: Password of the Ant Media cluster user, read by the nodes at boot
  streamfleet.cluster.aws_secret:
    name: /streamfleet/ams-prod/antmedia/mongodb-app-password
    value: "{{ vault_antmedia_mongodb_password }}"
    deployment: ams-prod
  no_log: true

- name: Administrator password generated once, kept in the store only
  streamfleet.cluster.aws_secret:
    name: /streamfleet/ams-prod/antmedia/mongodb-admin-password
    value: "{{ lookup('ansible.builtin.password', '/dev/null', length=32, chars=['ascii_letters', 'digits']) }}"
    update: on_create
    deployment: ams-prod
  no_log: true

- name: Both MongoDB passwords in one task (the shared options once)
  streamfleet.cluster.aws_secret:
    deployment: ams-prod
    secrets:
      - name: /streamfleet/ams-prod/antmedia/mongodb-app-password
        value: "{{ vault_antmedia_mongodb_password }}"
      - name: /streamfleet/ams-prod/antmedia/mongodb-admin-password
        value: "{{ lookup('ansible.builtin.password', '/dev/null', length=32, chars=['ascii_letters', 'digits']) }}"
        update: on_create
  no_log: true
  register: mongodb_secrets
'''

RETURN = r'''
results:
  description:
    - With O(secrets), one result per entry in their order, each with the keys below
      (C(changed), C(changes), C(diff) included); the task's C(changed) is true when any entry
      changed and its C(changes) names each entry's changes.
  returned: when O(secrets) is given
  type: list
  elements: dict
  sample: [{"name": "/streamfleet/ams-prod/antmedia/mongodb-app-password", "store": "ssm", "version": 1, "changed": false}]
arn:
  description: ARN of the parameter or secret (null when absent, or in check mode before its creation).
  returned: always
  type: str
  sample: arn:aws:ssm:eu-west-1:123456789012:parameter/streamfleet/ams-prod/antmedia/mongodb-app-password
name:
  description: The name given.
  returned: always (with O(secrets), in each entry of RV(results))
  type: str
  sample: /streamfleet/ams-prod/antmedia/mongodb-app-password
store:
  description: The store.
  returned: always
  type: str
  sample: ssm
version:
  description: Parameter version (SSM) before this run's write; null for Secrets Manager.
  returned: when state=present
  type: int
  sample: 1
changes:
  description: What the module changed (or would change in check mode), one line each; never the value.
  returned: always
  type: list
  elements: str
  sample: ["create SSM parameter /streamfleet/ams-prod/antmedia/mongodb-app-password"]
api_calls:
  description: Number of AWS calls made, per service.Operation.
  returned: always
  type: dict
  sample: {ssm.GetParameter: 1, ssm.DescribeParameters: 1, ssm.ListTagsForResource: 1}
'''

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import relaxed_spec, run_each
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.secret_store import SecretConverger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.session import StreamfleetAWSModule
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import module_edge


def secret_spec():
    """The options of one secret: the task's, or an entry of ``secrets``."""
    return dict(
        name=dict(type='str', required=True),
        store=dict(type='str', choices=['ssm', 'secretsmanager'], default='ssm'),
        value=dict(type='str', no_log=True),
        update=dict(type='str', choices=['always', 'on_create'], default='always'),
        kms_key_id=dict(type='str'),
        description=dict(type='str'),
        state=dict(type='str', choices=['present', 'absent'], default='present'),
        purge_tags=dict(type='bool', default=False),
    )


def argument_spec():
    return dict(relaxed_spec(secret_spec()),
                # no_log False: the entries' names and stores are shown; run_each registers
                # each entry's value (no_log in secret_spec) as a secret before any output
                secrets=dict(type='list', elements='dict', no_log=False),
                deployment=dict(type='str', required=True))


@module_edge
def main():
    module = StreamfleetAWSModule(argument_spec(), supports_check_mode=True,
                                  mutually_exclusive=[('name', 'secrets')],
                                  required_one_of=[('name', 'secrets')])
    run_each(module, SecretConverger, 'secrets', secret_spec(),
             required_if=[('state', 'present', ['value'])])


if __name__ == '__main__':
    main()
