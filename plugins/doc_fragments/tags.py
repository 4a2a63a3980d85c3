# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """``purge_tags``, the same in every streamfleet.cluster module that manages tags.

    A module extending this fragment declares ``purge_tags=dict(type='bool', default=False)``
    and removes tags through ``module_utils/aws/tags.py`` ``tag_changes(..., purge=...)``.
    """

    DOCUMENTATION = r'''
options:
  purge_tags:
    description:
      - Remove the tags of the object that are neither in O(tags) nor the collection's own
        (C(streamfleet:deployment), C(streamfleet:managed-by)), so that the object carries exactly
        the tags the task declares.
      - With V(false), tags set outside the task (by hand, by a cost-allocation tool) are left
        alone and only the tags of O(tags) are added or corrected.
      - Tag keys starting with C(aws:) are reserved by AWS and never removed.
    type: bool
    default: false
'''
