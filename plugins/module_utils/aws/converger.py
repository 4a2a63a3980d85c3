# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The one shape of every streamfleet.cluster AWS module: a :class:`Converger` subclass.

``run()`` takes the steps in order:

1. ``validate()`` - every input is checked, with no AWS call, through the checks of
   ``module_utils/validation.py``; a :class:`ConvergeError` or ``ValidationError`` here fails
   the task before anything is read or changed. ``region_refs()`` names the availability
   zones and instance types the task uses; they are looked up in the region (one describe
   call each) at the first ``change()``, before anything is written;
2. ``read()`` - describe what exists (sets ``self.before``);
3. ``plan()`` - decide what differs;
4. ``apply()`` - make the changes. Every write is gated by ``self.change(description)``, which
   records the change and returns ``False`` in check mode, so a check-mode run lists exactly
   the changes a real run would make. Where a later write needs an id an earlier write
   returns (a listener needs its target group's ARN) plan and apply are one pass through
   these gates (all the modules of the collection so far);
5. ``report()`` - the result; ``run()`` adds ``changed``, ``changes``, ``diff`` (before/after)
   and, through the module class, ``api_calls``.

An AWS error fails the task with its code and the changes made so far.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.dict_transformations import camel_dict_to_snake_dict

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws.tags import (
    DEPLOYMENT_TAG,
    deployment_tags,
    tag_dict,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    Checks,
    RegionCatalog,
    ValidationError,
    check_input,
)

try:
    from botocore.exceptions import BotoCoreError, ClientError
except ImportError:  # pragma: no cover - reported by the module class
    BotoCoreError = ClientError = Exception


class ConvergeError(Exception):
    """Invalid task input or a state the module refuses to change; nothing was changed by it."""


def snake_dict(obj, ignore_list=('Tags',)):
    """CamelCase AWS answer -> snake_case result; ``Tags`` lists become ``tags`` dicts."""
    if isinstance(obj, list):
        return [snake_dict(item, ignore_list) for item in obj]
    if not isinstance(obj, dict):
        return obj
    data = dict(obj)
    if isinstance(data.get('Tags'), list):
        data['Tags'] = tag_dict(data['Tags'])
    result = camel_dict_to_snake_dict(data, ignore_list=list(ignore_list))
    return result


def ensure_dict_diff(before, after, before_header=None, after_header=None):
    """Ansible ``diff`` dict for two states (``None`` = object absent, shown as ``{}``)."""
    diff = dict(before=before if before is not None else {}, after=after if after is not None else {})
    if before_header:
        diff['before_header'] = before_header
    if after_header:
        diff['after_header'] = after_header
    return diff


class Converger(object):
    """Base of every AWS module's converger; see the module docstring for the steps."""

    #: names the unit in failure messages; ``describe()`` may say more
    what = 'AWS object'
    #: raised when the task asks for something the module refuses to do
    error = ConvergeError
    #: False for the modules whose result never had a ``changes`` list
    reports_changes = True
    #: the module whose rules (``validation.INPUT_RULES``) check the task before ``validate()``
    input_rules = None

    def __init__(self, module):
        self.module = module
        self.params = module.params
        self.check_mode = module.check_mode
        self.changes = []
        self.before = {}
        self.after = {}
        self.result = {}
        self._clients = {}
        self._region_checked = False

    # -- helpers for subclasses
    def client(self, service):
        if service not in self._clients:
            self._clients[service] = self.module.client(service)
        return self._clients[service]

    def change(self, description):
        """Record a change; True when it is to be made (False in check mode).

        The first change of a run first checks that the zones and instance types of the task
        exist in the region (``region_refs``): a bad zone fails before the VPC is created, and a
        run that changes nothing makes no extra call."""
        if not self._region_checked:
            self._region_checked = True
            if self.params.get('state', 'present') != 'absent':
                self.check_region()
        self.changes.append(description)
        return not self.check_mode

    def deployment_tags(self, extra=None):
        return deployment_tags(self.params, extra)

    def first_read(self, key, read):
        """``read()``, for a converger's first look at AWS. In the list form (``run_each``) the
        entries share it while none of them has changed anything, so one listing or one batch
        describe serves them all (issue 20); it is read again after an entry's change."""
        shared = getattr(self.module, 'shared_reads', None)
        if shared is None:
            return read()
        if key not in shared:
            shared[key] = read()
        return shared[key]

    def sibling_names(self, where=None):
        """The names of every entry of the task (list form), this one's included, or of those
        for which ``where(entry)`` holds; just this object's name in the single form."""
        siblings = getattr(self.module, 'siblings', None) or [self.params]
        return sorted(set(entry['name'] for entry in siblings
                          if entry.get('name') and (where is None or where(entry))))

    def owned(self, tags):
        return tags.get(DEPLOYMENT_TAG) == self.params['deployment']

    def refuse_foreign(self, kind, name, tags):
        if not self.owned(tags):
            raise self.error(
                "%s %s exists but does not carry %s=%s; the collection does not adopt or change "
                "objects it did not create (tags found: %s)"
                % (kind, name, DEPLOYMENT_TAG, self.params['deployment'], tags))

    def describe(self):
        """The unit as failure messages name it."""
        return self.what

    # -- the steps
    def validate(self):
        """Check every input without calling AWS; raise ConvergeError."""

    def region_refs(self):
        """``(zones, instance_types)``: lists of ``(option, value)`` the task uses that must exist
        in the region; checked before ``read()`` with one describe call each."""
        return [], []

    def check_region(self):
        zones, instance_types = self.region_refs()
        zones = [item for item in zones if item[1]]
        instance_types = [item for item in instance_types if item[1]]
        if not zones and not instance_types:
            return
        checks = Checks()
        catalog = RegionCatalog(self.client('ec2'))
        catalog.check_zones(checks, zones)
        catalog.check_instance_types(checks, instance_types)
        checks.done()

    def read(self):
        """Describe what exists; set ``self.before``."""

    def plan(self):
        """Decide what differs from what was read."""

    def apply(self):
        """Make the planned changes, each through ``self.change()``."""

    def report(self):
        """The module's own result keys."""
        return self.result

    def failure_details(self):
        """Result keys a failed run reports next to ``msg`` and ``changes``."""
        return {}

    def aws_failure(self):
        """The message of a run stopped by an AWS error (its code and message follow)."""
        return '%s: AWS call failed after %d change(s) %s' % (self.describe(), len(self.changes), self.changes)

    def diff(self):
        present = self.params.get('state', 'present') == 'present'
        return ensure_dict_diff(self.before, self.after if present else {})

    def run(self):
        module = self.module
        try:
            if self.input_rules:
                check_input(self.input_rules, self.params)
            self.validate()
        except (ConvergeError, ValidationError) as exc:
            module.fail_json(msg=str(exc), changes=[])
        try:
            self.read()
            self.plan()
            self.apply()
            result = self.report()
        except (ConvergeError, ValidationError) as exc:
            module.fail_json(msg=str(exc), changes=self.changes, **self.failure_details())
        except (BotoCoreError, ClientError) as exc:
            module.fail_aws(exc, self.aws_failure())
        result.setdefault('changed', bool(self.changes))
        if self.reports_changes:
            result.setdefault('changes', self.changes)
        if module.diff_mode and 'diff' not in result:
            diff = self.diff()
            if diff:
                result['diff'] = diff
        module.exit_json(**result)


# ---------------------------------------------------------------------- several objects, one task
def relaxed_spec(entry_spec):
    """The top-level form of ``entry_spec``: nothing required (an entry list may replace the
    options), so that ``run_each`` checks the requirements on each merged entry instead."""
    return dict((key, dict(option, required=False)) for key, option in entry_spec.items())


class _EntryDone(Exception):
    """An entry's converger finished; ``result`` is what it would have exited with."""

    def __init__(self, result):
        super(_EntryDone, self).__init__('entry done')
        self.result = result


class _EntryModule(object):
    """The task's module as one entry's converger sees it: the entry's merged ``params``; exiting
    hands the result back to ``run_each``; failing names the entry and what the entries before
    it did. Everything else (clients, check and diff mode, counters) is the task's module."""

    def __init__(self, module, params, done, shared_reads=None, siblings=None):
        self._module = module
        self.params = params
        self.label = 'entry %d' % (len(done) + 1)
        self._done = done
        # reads the entries share (Converger.first_read) and every entry's merged options
        self.shared_reads = shared_reads
        self.siblings = siblings

    def __getattr__(self, name):
        return getattr(self._module, name)

    def _where(self, msg):
        if not self._done:
            return '%s: %s' % (self.label, msg)
        before = ', '.join('%s%s' % (name, ' (changed)' if result.get('changed') else '')
                           for name, result in self._done)
        return '%s: %s (entries converged before it: %s)' % (self.label, msg, before)

    def exit_json(self, **result):
        raise _EntryDone(result)

    def fail_json(self, msg, **kwargs):
        kwargs.setdefault('results', [result for _name, result in self._done])
        self._module.fail_json(msg=self._where(msg), **kwargs)

    def fail_aws(self, exc, msg):
        self._module.fail_aws(exc, self._where(msg))


def run_each(module, converger_class, entries_option, entry_spec, required_if=None, label_key='name'):
    """Converge one object (the task's options) or several of a kind (the list in
    ``entries_option``) in one task: one Python process, one set of clients, for every
    launch template or group of a deployment (issue 20: a task costs more than its calls).

    Each entry is a dict of the options in ``entry_spec``; an option it leaves out is the
    task's own (top-level options are the entries' common settings). Every entry is checked
    (types, choices, unknown keys, ``required_if`` on the merged options, then the converger's
    input rules and ``validate()``) before any call: a bad entry fails the task before anything
    changes. Secrets of an entry (``no_log`` options) are masked in the
    output as the task's own are. The entries converge in their order; the result of the
    single form is the converger's own, of the list form ``results`` (one result per entry, in
    order), ``changed`` (any entry changed), ``changes`` (every entry's, named) and ``diff``
    (one per entry)."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    entries = module.params.get(entries_option)
    single = entries is None
    if single:
        entries = [{}]
    # The entry's own keys are checked (types, choices, unknown keys, their sub-options'
    # defaults); what it leaves out is the task's option, already checked by the module.
    validator = ArgumentSpecValidator(dict(
        (key, dict((k, v) for k, v in option.items() if k not in ('required', 'default')))
        for key, option in entry_spec.items()))
    required = [key for key, option in entry_spec.items() if option.get('required')]
    # Every entry's secrets are registered before any entry's problem is reported: a failure
    # echoes the task's arguments, the entries after the bad one included.
    checked_entries = [validator.validate(dict(entry)) for entry in entries]
    for checked in checked_entries:
        module.no_log_values.update(checked._no_log_values)
    merged = []
    for index, (entry, checked) in enumerate(zip(entries, checked_entries)):
        where = '' if single else '%s[%d]: ' % (entries_option, index)
        if checked.errors.messages:
            module.fail_json(msg=where + '; '.join(checked.errors.messages), changes=[])
        params = dict((key, value) for key, value in module.params.items() if key != entries_option)
        params.update((key, checked.validated_parameters[key]) for key in entry)
        missing = [key for key in required if params.get(key) is None]
        if missing:
            module.fail_json(msg='%smissing required arguments: %s' % (where, ', '.join(missing)), changes=[])
        # On the merged options: a requirement may be met by the task's common options.
        for key, value, needed in required_if or []:
            missing = [name for name in needed if params.get(name) is None]
            if params.get(key) == value and missing:
                module.fail_json(msg='%s%s is %s but all of the following are missing: %s'
                                 % (where, key, value, ', '.join(missing)), changes=[])
        merged.append(params)
    if single:
        module.params.update(merged[0])
        converger_class(module).run()
        return
    # The converger's own checks (validate(): ranges, names, the module's input rules) of every
    # entry too, before the first entry reads or changes anything; run() repeats them (no call).
    for index, params in enumerate(merged):
        entry_module = _EntryModule(module, params, [])
        entry_module.label = '%s[%d]' % (entries_option, index)
        converger = converger_class(entry_module)
        try:
            if converger.input_rules:
                check_input(converger.input_rules, params)
            converger.validate()
        except (ConvergeError, ValidationError) as exc:
            module.fail_json(msg='%s: %s' % (entry_module.label, exc), changes=[])
    done = []
    shared_reads = {}
    for params in merged:
        entry_module = _EntryModule(module, params, done, shared_reads, merged)
        converger = converger_class(entry_module)
        entry_module.label = converger.describe()
        try:
            converger.run()
        except _EntryDone as finished:
            done.append((params.get(label_key), finished.result))
            if finished.result.get('changed') and not module.check_mode:
                shared_reads.clear()  # the next entries read what this one changed
        else:  # pragma: no cover - run() always exits or fails
            raise AssertionError('%s: the converger returned without a result' % entry_module.label)
    results = [result for _name, result in done]
    summary = dict(changed=any(result.get('changed') for result in results), results=results,
                   changes=['%s: %s' % (name, change) for name, result in done for change in result.get('changes', [])])
    diffs = [result['diff'] for result in results if result.get('diff')]
    if module.diff_mode and diffs:
        summary['diff'] = diffs
    module.exit_json(**summary)
