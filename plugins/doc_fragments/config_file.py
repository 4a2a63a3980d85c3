# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """What every module that edits a media server's configuration files has in common.

    The module's own ``attributes.diff_mode.details`` may add what it masks in the diff.
    """

    DOCUMENTATION = r'''
options:
  backup:
    description: Keep a timestamped copy of each file before changing it.
    type: bool
    default: false
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check_mode), when in diff mode.
    support: full
notes:
  - Files are edited in place and written atomically (a temporary file in the same directory,
    then a rename), keeping their owner and mode; comments and unrelated lines are kept.
'''
