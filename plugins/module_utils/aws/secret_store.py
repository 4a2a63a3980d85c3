# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One secret kept where instances read it at boot (``aws_secret``): an SSM Parameter Store
SecureString parameter or a Secrets Manager secret.

The value is compared with what the store holds (read with decryption) and written only when it
differs (``update: always``) or only when the secret does not exist yet (``update: on_create``,
for a password the play generates once). Neither the value nor anything derived from it (a
hash, a length) ever appears in the result, the diff or a message: the diff shows the
secret's metadata and ``value: (changed)``.

Limits from the API references:
- SSM PutParameter (https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_PutParameter.html):
  Name 1-2048 characters of ``a-zA-Z0-9_.-/``, at most 15 levels of ``/``, not starting with
  ``aws`` or ``ssm`` (any case); a name with a ``/`` must start with one. Value at most 4096
  characters (standard tier). ``Tags`` cannot be sent together with ``Overwrite``: tags of an
  existing parameter are set with AddTagsToResource.
- Secrets Manager CreateSecret (https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_CreateSecret.html):
  Name 1-512 characters of ``a-zA-Z0-9/_+=.@-``, not ending with a hyphen and six characters
  (Secrets Manager reads that as the ARN suffix); SecretString at most 65536 bytes. A deleted
  secret without a recovery window is gone at once, so the same name can be created again.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.converger import ConvergeError, Converger
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.retries import is_error
from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import boto3_tag_list, tag_changes, tag_dict

try:
    from botocore.exceptions import ClientError
except ImportError:  # reported by the shared AWS module class
    ClientError = Exception

SSM_NAME = re.compile(r'^[a-zA-Z0-9_.\-/]{1,2048}$')
SSM_VALUE_MAX = 4096
SECRETSMANAGER_NAME = re.compile(r'^[a-zA-Z0-9/_+=.@\-]{1,512}$')
SECRETSMANAGER_VALUE_MAX = 65536
HIDDEN = '(hidden)'


class SecretStoreError(ConvergeError):
    """Invalid task input or a state the module refuses to change; nothing was changed."""


def check_name(store, name):
    """Problems of ``name`` for ``store`` (empty list when it is acceptable)."""
    if store == 'ssm':
        problems = []
        if not SSM_NAME.match(name):
            problems.append('1-2048 characters of a-z A-Z 0-9 _ . - /')
        if '/' in name and not name.startswith('/'):
            problems.append('a name with / must start with /')
        if name.count('/') > 15:
            problems.append('at most 15 levels')
        if re.match(r'^/?(aws|ssm)', name, re.I):
            problems.append('must not start with aws or ssm')
        return problems
    problems = []
    if not SECRETSMANAGER_NAME.match(name):
        problems.append('1-512 characters of a-z A-Z 0-9 / _ + = . @ -')
    if re.search(r'-[A-Za-z0-9]{6}$', name):
        problems.append('must not end with a hyphen and six characters (read as the ARN suffix)')
    return problems


class SecretConverger(Converger):
    what = 'secret'
    input_rules = 'aws_secret'  # validation.INPUT_RULES, checked before validate()

    def describe(self):
        return '%s %s' % ('SSM parameter' if self.params['store'] == 'ssm' else 'Secrets Manager secret',
                          self.params['name'])

    # -- validate
    def validate(self):
        p = self.params
        problems = check_name(p['store'], p['name'])
        if problems:
            raise SecretStoreError('name %r: %s' % (p['name'], '; '.join(problems)))
        if p['state'] == 'present':
            value = p['value']
            if value is None or value == '':
                raise SecretStoreError('value is required and non-empty with state=present')
            limit = SSM_VALUE_MAX if p['store'] == 'ssm' else SECRETSMANAGER_VALUE_MAX
            size = len(value) if p['store'] == 'ssm' else len(value.encode('utf-8'))
            if size > limit:
                raise SecretStoreError('value is longer than the %s limit of %d' % (p['store'], limit))
        if p['description'] is not None and len(p['description']) > 1024:
            raise SecretStoreError('description is longer than 1024 characters')

    # -- read
    def read(self):
        if self.params['store'] == 'ssm':
            self.current = self._read_ssm()
        else:
            self.current = self._read_secretsmanager()
        self.before = self._shown(self.current)

    def _ssm_parameters(self, names):
        """{name: (parameter, its description)} of the SSM parameters of ``names`` that exist:
        one GetParameters per 10 names and one DescribeParameters listing per 50."""
        ssm = self.client('ssm')
        found, meta = {}, {}
        for start in range(0, len(names), 10):
            answer = ssm.get_parameters(aws_retry=True, Names=names[start:start + 10], WithDecryption=True)
            found.update((item['Name'], item) for item in answer.get('Parameters', []))
        for start in range(0, len(names), 50):
            for item in ssm.paginate('describe_parameters', 'Parameters', ParameterFilters=[
                    {'Key': 'Name', 'Option': 'Equals', 'Values': names[start:start + 50]}]):
                meta[item['Name']] = item
        return dict((name, (item, meta.get(name, {}))) for name, item in found.items())

    def _read_ssm(self):
        ssm = self.client('ssm')
        name = self.params['name']
        names = self.sibling_names(lambda entry: entry.get('store') == 'ssm')
        if len(names) > 1:
            # the list form: the entries' parameters and descriptions read once for all
            shared = self.first_read(('ssm', 'parameters'), lambda: self._ssm_parameters(names))
            if name not in shared:
                return None
            found, meta = shared[name]
        else:
            try:
                found = ssm.get_parameter(aws_retry=True, Name=name, WithDecryption=True)['Parameter']
            except ClientError as exc:
                if is_error(exc, 'ParameterNotFound'):
                    return None
                raise
            described = ssm.describe_parameters(aws_retry=True, ParameterFilters=[
                {'Key': 'Name', 'Option': 'Equals', 'Values': [name]}])
            meta = (described.get('Parameters') or [{}])[0]
        tags = tag_dict(ssm.list_tags_for_resource(aws_retry=True, ResourceType='Parameter', ResourceId=name).get('TagList', []))
        return dict(arn=found.get('ARN'), type=found.get('Type'), value=found.get('Value'), version=found.get('Version'),
                    kms_key_id=meta.get('KeyId'), description=meta.get('Description'), tags=tags)

    def _read_secretsmanager(self):
        sm = self.client('secretsmanager')
        name = self.params['name']
        try:
            meta = sm.describe_secret(aws_retry=True, SecretId=name)
        except ClientError as exc:
            if is_error(exc, 'ResourceNotFoundException'):
                return None
            raise
        if meta.get('DeletedDate'):
            raise SecretStoreError('%s is scheduled for deletion; restore it (RestoreSecret) or wait until it is '
                                   'deleted' % self.describe())
        value = sm.get_secret_value(aws_retry=True, SecretId=name).get('SecretString')
        return dict(arn=meta.get('ARN'), type='SecretString', value=value, version=None,
                    kms_key_id=meta.get('KmsKeyId'), description=meta.get('Description'),
                    tags=tag_dict(meta.get('Tags') or []))

    @staticmethod
    def _shown(state):
        """What the diff and the result may show: everything but the value."""
        if state is None:
            return None
        shown = dict((k, v) for k, v in state.items() if k != 'value')
        shown['value'] = HIDDEN
        return shown

    # -- plan and apply
    def apply(self):
        p = self.params
        current = self.current
        if p['state'] == 'absent':
            if current is not None:
                self.refuse_foreign(self.describe(), p['name'], current['tags'])
                if self.change('delete %s' % self.describe()):
                    self._delete()
            self.after = None
            self.result = dict(arn=None, name=p['name'], store=p['store'])
            return
        wanted_tags = self.deployment_tags()
        if current is None:
            if self.change('create %s' % self.describe()):
                current = self._create(wanted_tags)
            self.after = dict(self._shown(current) or {'value': HIDDEN}, tags=wanted_tags)
            if current is None or self.check_mode:
                self.after['value'] = '(created)'
        else:
            self.refuse_foreign(self.describe(), p['name'], current['tags'])
            if current.get('type') not in ('SecureString', 'SecretString'):
                raise SecretStoreError('%s exists as a %s parameter; a password must be a SecureString (delete it '
                                       'first)' % (self.describe(), current.get('type')))
            write = p['update'] == 'always' and current['value'] != p['value']
            described = p['description'] is not None and p['description'] != (current.get('description') or '')
            after = self._shown(current)
            if write or described:
                what = ' and '.join(w for w, on in (('value', write), ('description', described)) if on)
                if self.change('update the %s of %s' % (what, self.describe())):
                    self._update(current, write)
                if write:
                    after['value'] = '(changed)'
                if described:
                    after['description'] = p['description']
            to_set, to_unset = tag_changes(current['tags'], wanted_tags, p['purge_tags'])
            if to_set or to_unset:
                if self.change('update the tags of %s' % self.describe()):
                    self._tag(current, to_set, to_unset)
                after['tags'] = dict((k, v) for k, v in dict(current['tags'], **to_set).items() if k not in to_unset)
            self.after = after
        self.result = dict(arn=(current or {}).get('arn'), name=p['name'], store=p['store'],
                           version=(current or {}).get('version'))

    def _create(self, tags):
        p = self.params
        if p['store'] == 'ssm':
            kwargs = dict(Name=p['name'], Value=p['value'], Type='SecureString', Tags=boto3_tag_list(tags))
            if p['kms_key_id']:
                kwargs['KeyId'] = p['kms_key_id']
            if p['description'] is not None:
                kwargs['Description'] = p['description']
            # PutParameter without Overwrite and CreateSecret fail on a second send once the
            # first was carried out: after a throttled, failed or unanswered send, look first.
            self.client('ssm').create_once('put_parameter', self._read_ssm, **kwargs)
            return self._read_ssm()
        kwargs = dict(Name=p['name'], SecretString=p['value'], Tags=boto3_tag_list(tags))
        if p['kms_key_id']:
            kwargs['KmsKeyId'] = p['kms_key_id']
        if p['description'] is not None:
            kwargs['Description'] = p['description']
        self.client('secretsmanager').create_once('create_secret', self._read_secretsmanager, **kwargs)
        return self._read_secretsmanager()

    def _update(self, current, write):
        p = self.params
        if p['store'] == 'ssm':
            # PutParameter with Overwrite replaces value and description together.
            kwargs = dict(Name=p['name'], Value=p['value'] if write else current['value'], Type='SecureString',
                          Overwrite=True)
            if p['kms_key_id']:
                kwargs['KeyId'] = p['kms_key_id']
            if p['description'] is not None:
                kwargs['Description'] = p['description']
            answer = self.client('ssm').put_parameter(aws_retry=True, **kwargs)
            current['version'] = answer.get('Version', current.get('version'))
            return
        sm = self.client('secretsmanager')
        if p['description'] is not None and p['description'] != (current.get('description') or ''):
            sm.update_secret(SecretId=p['name'], Description=p['description'])
        if write:
            sm.put_secret_value(SecretId=p['name'], SecretString=p['value'])

    def _tag(self, current, to_set, to_unset):
        if self.params['store'] == 'ssm':
            ssm = self.client('ssm')
            if to_set:
                ssm.add_tags_to_resource(aws_retry=True, ResourceType='Parameter', ResourceId=self.params['name'],
                                         Tags=boto3_tag_list(to_set))
            if to_unset:
                ssm.remove_tags_from_resource(aws_retry=True, ResourceType='Parameter', ResourceId=self.params['name'],
                                              TagKeys=list(to_unset))
            return
        sm = self.client('secretsmanager')
        if to_set:
            sm.tag_resource(SecretId=self.params['name'], Tags=boto3_tag_list(to_set))
        if to_unset:
            sm.untag_resource(SecretId=self.params['name'], TagKeys=list(to_unset))

    def _delete(self):
        if self.params['store'] == 'ssm':
            self.client('ssm').delete_parameter(Name=self.params['name'])
        else:
            # Without a recovery window: a re-deployment can create the same name again at once.
            self.client('secretsmanager').delete_secret(SecretId=self.params['name'], ForceDeleteWithoutRecovery=True)
