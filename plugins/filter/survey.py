# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filter ``argument_spec_survey``: an AWX survey spec from role argument spec options.

A thin wrapper over ``module_utils/argument_specs.py`` (used by ``playbooks/awx_setup.yml``);
its documentation is in the sidecar file ``argument_spec_survey.yml``.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.streamfleet.cluster.plugins.module_utils.argument_specs import (
    SurveySpecError,
    survey_spec,
)


def _plain(value):
    """Plain Python containers and strings for templated input (safe to compare and copy)."""
    if isinstance(value, dict):
        return dict((str(k), _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float)):
        return value
    return str(value)


def argument_spec_survey(options, name, description="", exclude=None, prefix=""):
    try:
        return survey_spec(_plain(options), str(name), description=str(description or ""),
                           exclude=_plain(exclude) or [], prefix=str(prefix or ""))
    except SurveySpecError as exc:
        raise AnsibleFilterError("argument_spec_survey: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"argument_spec_survey": argument_spec_survey}
