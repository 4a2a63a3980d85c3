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
* Ant Media, by default (format ``antmedia-apps``, no credentials): each application's own REST
  on 127.0.0.1, which the server answers without a token because every application's
  ``settings.remoteAllowedCIDR`` defaults to ``127.0.0.1`` (``AppSettings``) and its ``IPFilter``
  lets those addresses through. Applications are the directories of ``<home>/webapps`` with a
  ``WEB-INF/red5-web.properties`` (``root``, the console, has no broadcast REST). In cluster mode
  the broadcast list and ``active-live-stream-count`` come from the SHARED MongoDB (the whole
  cluster), so the counter keeps what is on THIS node: ``localPublishers`` = broadcasts with
  ``status`` ``broadcasting`` whose ``originAdress`` is this node's address, and
  ``localWebRTCViewers`` = the entries of ``/broadcasts/<id>/webrtc-client-stats`` of every
  broadcasting stream (the node's in-memory WebRTC clients, at most 50 a page). HLS and DASH
  viewers are plain HTTP downloads the node does not count per node without the management API.
* Ant Media with a token (format ``json``, set ``sessions`` in full): ``GET
  :5080/rest/v2/system-resources`` of the console application (``CommonRestService.
  getSystemResourcesInfo``: ``totalLiveStreamSize``, ``localWebRTCViewers``, ``localHLSViewers``,
  ``localDASHViewers``); a management call that needs the JWT the server accepts in
  ``ProxyAuthorization`` when ``server.jwtServerControlEnabled=true``.
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

FORMATS = ("wcs-stat", "json", "antmedia-apps")
ANTMEDIA_APP_FIELDS = ("localPublishers", "localWebRTCViewers")
# The broadcast list and the WebRTC client stats answer at most 50 items a page.
ANTMEDIA_PAGE = 50

SERVER_DEFAULTS = {
    "wcs": {
        "url": "http://127.0.0.1:8081/?action=stat",
        "format": "wcs-stat",
        "fields": ["connections"],
        "token_file": "",
        "token_in": "",
        "home": "",
    },
    "antmedia": {
        "url": "http://127.0.0.1:5080",
        "format": "antmedia-apps",
        "fields": list(ANTMEDIA_APP_FIELDS),
        "token_file": "",
        "token_in": "",
        "home": "/usr/local/antmedia",
    },
    "red5pro_streammanager": {
        "url": "http://127.0.0.1:5080/api/v1/server/statistics",
        "format": "json",
        "fields": ["data.active_connections"],
        "token_file": "/etc/streamfleet/red5pro-api.token",
        "token_in": "query:accessToken",
        "home": "",
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


def json_field(doc, path):
    """The value at the dotted ``path`` of a decoded JSON document, None when it is not there."""
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


def sum_fields(lookup, fields, source):
    """The sum of the counts ``lookup(field)`` answers for ``fields``; a field ending in ``?`` may
    be absent. Raises :class:`SessionCountError` naming ``source`` for a missing field or a value
    that is not a count (the drain agent and the status view read the servers' counters alike)."""
    total = 0
    for field in fields:
        name = field.rstrip("?")
        value = lookup(name)
        if value is None or value == "":
            if field.endswith("?"):
                continue
            raise SessionCountError("%s has no %s" % (source, name))
        total += _as_count(name, value)
    return total


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
                return json_field(doc, path)
        return sum_fields(lookup, self.fields, self.url.split("?")[0])


class AntMediaAppsCounter(object):
    """Live sessions on THIS Ant Media node from its applications' REST on 127.0.0.1, no token.

    ``address()`` answers this node's addresses (the ``originAdress`` Ant Media writes for a
    stream published here; the agent reads them from the instance metadata service).
    """

    def __init__(self, url, home, fields, address, timeout=5, opener=None):
        unknown = [f for f in fields if f.rstrip("?") not in ANTMEDIA_APP_FIELDS]
        if unknown:
            raise ValueError("sessions fields %s are not among %s for the antmedia-apps format"
                             % (", ".join(unknown), ", ".join(ANTMEDIA_APP_FIELDS)))
        self.url = url.rstrip("/")
        self.home = home
        self.fields = [f.rstrip("?") for f in fields]
        self.address = address
        self.timeout = timeout
        self._opener = opener or build_opener(ProxyHandler({}))

    def describe(self):
        return "%s of the applications' REST at %s (applications under %s/webapps)" % (
            "+".join(self.fields), self.url, self.home)

    def applications(self):
        # Imported here: the other formats do not need the Ant Media file code.
        from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia import app_files
        return [name for name, _path in app_files(self.home) if name != "root"]

    def _get(self, path):
        url = self.url + path
        try:
            with self._opener.open(Request(url, headers={"Accept": "application/json"}), timeout=self.timeout) as response:
                text = response.read().decode("utf-8", "replace")
        except HTTPError as exc:
            hint = " (settings.remoteAllowedCIDR of the application must allow 127.0.0.1)" if exc.code == 403 else ""
            raise SessionCountError("%s answered HTTP %d%s" % (url, exc.code, hint))
        except (URLError, OSError, ValueError) as exc:
            raise SessionCountError("%s: %s" % (url, getattr(exc, "reason", None) or exc))
        try:
            doc = json.loads(text)
        except ValueError:
            raise SessionCountError("%s did not answer JSON" % url)
        if not isinstance(doc, list):
            raise SessionCountError("%s did not answer a list" % url)
        return doc

    def _pages(self, path):
        offset = 0
        while True:
            page = self._get("%s/%d/%d" % (path, offset, ANTMEDIA_PAGE))
            yield from page
            if len(page) < ANTMEDIA_PAGE:
                return
            offset += ANTMEDIA_PAGE

    def count(self):
        apps = self.applications()
        if not apps:
            raise SessionCountError("no Ant Media application under %s/webapps" % self.home)
        mine = set(a for a in self.address() if a)
        total = 0
        for app in apps:
            for broadcast in self._pages("/%s/rest/v2/broadcasts/list" % quote(app)):
                if not isinstance(broadcast, dict) or broadcast.get("status") != "broadcasting":
                    continue
                if "localPublishers" in self.fields and broadcast.get("originAdress") in mine:
                    total += 1
                stream_id = broadcast.get("streamId")
                if "localWebRTCViewers" in self.fields and stream_id:
                    path = "/%s/rest/v2/broadcasts/%s/webrtc-client-stats" % (quote(app), quote(str(stream_id), safe=""))
                    total += sum(1 for _client in self._pages(path))
        return total
