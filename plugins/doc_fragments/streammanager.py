# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Connection options shared by every Red5 Pro Stream Manager (REST API 4.0) module.
    DOCUMENTATION = r"""
options:
  base_url:
    description:
      - URL of the Stream Manager, normally through its load balancer, for example
        V(https://sm.example.com) or V(http://10.0.0.10:5080).
      - The API path C(/streammanager/api/4.0/admin) is appended; a trailing C(/streammanager)
        is accepted and ignored.
    type: str
    required: true
  access_token:
    description:
      - The Stream Manager API access token (C(serverapi.accessToken) in
        C(webapps/streammanager/WEB-INF/red5-web.properties)).
      - The API takes it as the C(accessToken) query parameter; the modules never log it and
        remove it from every URL and error message they return.
      - If not set, the environment variable E(RED5PRO_SM_ACCESS_TOKEN) is used.
    type: str
    required: true
  validate_certs:
    description:
      - Verify the TLS certificate of O(base_url). Turn off only for a throw-away test setup.
    type: bool
    default: true
  ca_path:
    description:
      - PEM file of the certificate authority that signed the certificate of O(base_url),
        when it is not in the system trust store.
    type: path
  timeout:
    description:
      - Seconds to wait for one API response, 1 to 300. A Stream Manager that accepts the
        connection and never answers fails the call after this time (retried like a
        connection error), with the URL, never silently.
    type: int
    default: 30
  retries:
    description:
      - How many times a call is repeated after a connection error, a timeout or an HTTP 5xx
        answer, with exponential backoff. Other errors are not retried.
    type: int
    default: 3
  retry_delay:
    description:
      - Seconds before the first retry; each further retry waits about twice as long
        (at most 30 seconds, with jitter).
    type: float
    default: 1.0
notes:
  - Talks to the Stream Manager 1.x REST API 4.0 (C(/streammanager/api/4.0/admin/...)).
  - Answers are read as the vendor documents them and tolerantly beyond that - plain text
    (the readiness call), JSON with or without the C(policy)/C(launchconfig) envelope, an
    empty body, an HTML error page from a balancer. Every failure names the URL (token
    replaced by asterisks), the HTTP status and the first line of the answer.
    Stream Manager 2.x (C(/as/v1/...), JWT) is a different API and is not supported.
  - All these modules belong to the action group C(streamfleet.cluster.streammanager), so
    C(module_defaults) can set the connection options once.
"""
