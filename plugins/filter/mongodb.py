# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Filters ``mongodb_url`` and ``mongodb_url_redact``.

Thin wrappers over ``module_utils/mongodb.py``, the collection's one MongoDB URL builder, so
templates and roles produce the very bytes the modules do. Their documentation is in the
sidecar files ``mongodb_url.yml`` and ``mongodb_url_redact.yml`` (one file holds two filters).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import (
    MongoUrlError,
    mongodb_url,
    redact_mongo_url,
)


def _plain(value):
    """Plain ``str`` for a templated or vaulted string; other values unchanged."""
    if value is None or isinstance(value, (bool, int, float, dict, list, tuple)):
        return value
    return str(value)


def mongodb_url_filter(hosts, user=None, password=None, port=None, srv=False, replica_set=None,
                       auth_source=None, tls=None, database=None, options=None):
    if hosts is None or isinstance(hosts, str):
        hosts = _plain(hosts)
    elif hasattr(hosts, "__iter__") and not isinstance(hosts, dict):
        hosts = [_plain(host) for host in hosts]
    try:
        return mongodb_url(
            hosts, user=_plain(user), password=_plain(password), port=port, srv=bool(srv),
            replica_set=_plain(replica_set), auth_source=_plain(auth_source), tls=tls,
            database=_plain(database), options=dict(options) if options else None)
    except MongoUrlError as error:
        # The message never holds the password (module_utils guarantees that).
        raise AnsibleFilterError("mongodb_url: %s" % error)


def mongodb_url_redact_filter(url):
    return redact_mongo_url(None if url is None else str(url))


class FilterModule(object):
    def filters(self):
        return {
            "mongodb_url": mongodb_url_filter,
            "mongodb_url_redact": mongodb_url_redact_filter,
        }
