#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: wcs_stats_info
short_description: Read the statistics page of a Flashphoner Web Call Server
version_added: 0.1.0
description:
  - Reads C(GET <scheme>://<host>:<port>/?action=stat) of a Flashphoner Web Call Server (WCS),
    the page the vendor's balancer health check uses, and returns its values.
  - The page is plain text with one C(key=value) a line, grouped in sections. Its exact layout
    varies between releases, so the parser is tolerant. Section headers may look like
    C(-----connections_stats-----), C([connections_stats]) or C(=== connections_stats ===);
    blank lines, lines that are not C(key=value) (or C(key:value)) and unknown keys are
    accepted. Whole numbers become integers, decimal numbers floats, the rest stays text.
  - Never changes anything; runs in check mode.
author: streamfleet maintainers (@streamfleet)
attributes:
  check_mode:
    description: Full support; the module only reads.
    support: full
  diff_mode:
    description: The module changes nothing.
    support: none
options:
  host:
    description: Host name or address of the WCS server.
    type: str
    default: 127.0.0.1
  port:
    description: Port of the WCS admin web server (8081 HTTP, 8444 HTTPS).
    type: int
    default: 8081
  scheme:
    description: V(http) or V(https).
    type: str
    default: http
    choices: [http, https]
  timeout:
    description: Seconds to wait for the answer.
    type: int
    default: 10
  validate_certs:
    description: Whether to check the server's certificate with HTTPS.
    type: bool
    default: true
  ca_path:
    description: A CA bundle (PEM) to check the server's certificate with.
    type: path
  use_proxy:
    description: Whether to use the proxy of the environment (C(https_proxy), C(no_proxy)).
    type: bool
    default: true
"""

EXAMPLES = r"""
- name: Read the statistics of the origin
  streamfleet.cluster.wcs_stats_info:
    host: "{{ wcs_origin_address }}"
  register: wcs_stats

- name: Wait until the edge has free media ports
  streamfleet.cluster.wcs_stats_info:
    host: "{{ inventory_hostname }}"
    scheme: https
    port: 8444
    ca_path: /etc/ssl/certs/internal-ca.pem
    timeout: 5
  register: edge_stats
  until: edge_stats.stats.ports_media_free | default(0) > 0
  retries: 30
  delay: 10
"""

RETURN = r"""
url:
  description: The URL that was read.
  returned: always
  type: str
  sample: http://127.0.0.1:8081/?action=stat
stats:
  description: Every value of the page, flat (a key found in several sections keeps its last value).
  returned: success
  type: dict
  sample: {"connections": 12, "connections_websocket": 10, "streams_webrtc_in": 2, "ports_media_free": 3990}
sections:
  description: The values by section, for the lines under a section header.
  returned: success
  type: dict
  sample: {"connections_stats": {"connections": 12, "connections_websocket": 10}, "port_stats": {"ports_media_free": 3990}}
status:
  description: HTTP status code of the answer.
  returned: always
  type: int
  sample: 200
"""

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import fetch_url
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.wcs import (
    WcsError,
    parse_stats,
    stats_url,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    StreamfleetModule,
    check_module_input,
    module_edge,
)


@module_edge
def main():
    module = StreamfleetModule(
        argument_spec=dict(
            host=dict(type="str", default="127.0.0.1"),
            port=dict(type="int", default=8081),
            scheme=dict(type="str", default="http", choices=["http", "https"]),
            timeout=dict(type="int", default=10),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            use_proxy=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    check_module_input(module, 'wcs_stats_info')
    params = module.params
    try:
        url = stats_url(params["scheme"], params["host"], params["port"])
    except WcsError as exc:
        module.fail_json(msg=str(exc))
    if params["timeout"] < 1:
        module.fail_json(msg="timeout must be at least 1 second")

    response, info = fetch_url(module, url, method="GET", timeout=params["timeout"], ca_path=params["ca_path"])
    status = info.get("status", -1)
    if response is None or status != 200:
        module.fail_json(msg="cannot read %s: %s" % (url, info.get("msg", "no answer")), url=url, status=status)
    try:
        body = to_text(response.read(), errors="surrogate_or_replace")
    finally:
        response.close()
    stats, sections, ignored = parse_stats(body)
    if not stats:
        module.warn("%s answered without any key=value line; is it a WCS server?" % url)
    module.exit_json(changed=False, url=url, status=status, stats=stats, sections=sections)


if __name__ == "__main__":
    main()
