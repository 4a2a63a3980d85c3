# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The media server's OWN count of live sessions, read on the server itself (127.0.0.1).

API::

    counter = SessionCounter(url, fmt, fields, token_file=None, token_in=None, timeout=5)
    counter.count() -> int       the sum of ``fields``; raises SessionCountError when the server
                                 does not answer, refuses, or the answer lacks a field
    SERVER_DEFAULTS[server]      url, format, fields, token_file, token_in per server

Formats: ``wcs-stat`` (WCS ``/?action=stat``: ``key=value`` lines in sections; headers, blank
lines and unknown keys are skipped) and ``json`` (a field is a dotted path, e.g.
``data.active_connections``). A field ending in ``?`` may be absent (counted 0): a server
release that does not report it yet. ``token_in`` is ``header:NAME`` or ``query:NAME``: where
the secret read from ``token_file`` travels (never logged). Sources of the defaults:

* WCS: ``connections`` of ``GET :8081/?action=stat`` (Flashphoner WCS docs, "Monitoring:
  statistics page"; vendor-facts.md lists the keys).
* Ant Media: ``GET :5080/rest/v2/system-resources`` of the console application (the server's
  ``CommonRestService.getSystemResourcesInfo``: ``totalLiveStreamSize`` is the sum of this
  node's application scopes' live streams, ``localWebRTCViewers``, ``localHLSViewers``,
  ``localDASHViewers`` come from ``StatsCollector``); a management call, so it needs the JWT
  the server accepts in ``ProxyAuthorization`` when ``server.jwtServerControlEnabled=true``.
* Red5 Pro: ``data.active_connections`` of ``GET :5080/api/v1/server/statistics?accessToken=``
  (Red5 Pro Server API, "getServerStatistics"; the token is ``security.accessToken`` of
  ``webapps/api/WEB-INF/red5-web.properties``).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
from urllib.error import HTTPError, URLError
from urllib.parse import quote
from urllib.request import Request, build_opener, ProxyHandler

FORMATS = ("wcs-stat", "json")

SERVER_DEFAULTS = {
    "wcs": {
        "url": "http://127.0.0.1:8081/?action=stat",
        "format": "wcs-stat",
        "fields": ["connections"],
        "token_file": "",
        "token_in": "",
    },
    "antmedia": {
        "url": "http://127.0.0.1:5080/rest/v2/system-resources",
        "format": "json",
        "fields": ["totalLiveStreamSize", "localWebRTCViewers", "localHLSViewers", "localDASHViewers?"],
        "token_file": "/etc/streamfleet/antmedia-management.jwt",
        "token_in": "header:ProxyAuthorization",
    },
    "red5pro_streammanager": {
        "url": "http://127.0.0.1:5080/api/v1/server/statistics",
        "format": "json",
        "fields": ["data.active_connections"],
        "token_file": "/etc/streamfleet/red5pro-api.token",
        "token_in": "query:accessToken",
    },
}


class SessionCountError(Exception):
    """The server's count could not be read (message safe to show: no token in it)."""


def parse_wcs_stat(text):
    """``{key: value}`` of a WCS stats page; section headers and other lines are skipped."""
    values = {}
    for line in text.splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.strip().startswith(("-", "#")):
            values[key.strip()] = value.strip()
    return values


def _json_field(doc, path):
    node = doc
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def _as_count(field, value):
    if isinstance(value, bool):
        raise SessionCountError("%s is %r, not a count" % (field, value))
    try:
        number = int(str(value).strip())
    except ValueError:
        raise SessionCountError("%s is %r, not a count" % (field, value))
    if number < 0:
        raise SessionCountError("%s is negative (%d)" % (field, number))
    return number


class SessionCounter(object):
    def __init__(self, url, fmt, fields, token_file=None, token_in=None, timeout=5, opener=None):
        if fmt not in FORMATS:
            raise ValueError("sessions format %r is not one of %s" % (fmt, ", ".join(FORMATS)))
        if not fields:
            raise ValueError("sessions fields must name at least one field")
        if token_in and token_in.split(":", 1)[0] not in ("header", "query"):
            raise ValueError("sessions token_in %r is not header:NAME or query:NAME" % token_in)
        self.url = url
        self.fmt = fmt
        self.fields = list(fields)
        self.token_file = token_file or None
        self.token_in = token_in or None
        self.timeout = timeout
        # Only 127.0.0.1 is asked: a proxy from the environment must never see the token.
        self._opener = opener or build_opener(ProxyHandler({}))

    def describe(self):
        return "%s of %s" % ("+".join(f.rstrip("?") for f in self.fields), self.url.split("?")[0])

    def _token(self):
        if not (self.token_file and self.token_in):
            return None
        try:
            with open(self.token_file, "r") as handle:
                return handle.read().strip() or None
        except (IOError, OSError):
            return None  # no token installed: the server decides whether it answers without one

    def _request(self):
        url, headers = self.url, {"Accept": "application/json, text/plain"}
        token = self._token()
        if token:
            where, _sep, name = self.token_in.partition(":")
            if where == "header":
                headers[name] = token
            else:
                url += ("&" if "?" in url else "?") + "%s=%s" % (quote(name), quote(token, safe=""))
        return Request(url, headers=headers)

    def _fetch(self):
        shown = self.url.split("?")[0]
        try:
            with self._opener.open(self._request(), timeout=self.timeout) as response:
                return response.read().decode("utf-8", "replace")
        except HTTPError as exc:
            hint = " (authentication: see the drain agent's token_file)" if exc.code in (401, 403) else ""
            raise SessionCountError("%s answered HTTP %d%s" % (shown, exc.code, hint))
        except (URLError, OSError, ValueError) as exc:
            raise SessionCountError("%s: %s" % (shown, getattr(exc, "reason", None) or exc))

    def count(self):
        text = self._fetch()
        if self.fmt == "wcs-stat":
            values = parse_wcs_stat(text)
            lookup = values.get
        else:
            try:
                doc = json.loads(text)
            except ValueError:
                raise SessionCountError("%s did not answer JSON" % self.url.split("?")[0])

            def lookup(path):
                return _json_field(doc, path)
        total = 0
        for field in self.fields:
            name = field.rstrip("?")
            value = lookup(name)
            if value is None or value == "":
                if field.endswith("?"):
                    continue
                raise SessionCountError("%s has no %s" % (self.url.split("?")[0], name))
            total += _as_count(name, value)
        return total
