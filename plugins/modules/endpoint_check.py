#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: endpoint_check
short_description: Check a deployed HTTP(S) endpoint from outside
version_added: 0.2.0
description:
  - Reads O(url) once and reports every problem found, in words, in RV(problems).
  - With an C(https) URL, reads the certificate the server presents and checks that its
    subjectAltName covers O(domain) (a wildcard covers exactly one left-most label) and that
    the current time is within its validity dates; with O(validate_certs) the chain must also
    be trusted by the system CAs or O(ca_path).
  - Then compares the answer with O(expect_status), O(expect_keys) and O(expect_text).
  - Fails when any problem is found, unless O(fail_on_problem=false) (then the caller collects
    RV(problems), as C(playbooks/verify.yml) does). Never changes anything.
author: streamfleet maintainers (@streamfleet)
attributes:
  check_mode:
    description: Full support; the module only reads.
    support: full
  diff_mode:
    description: The module changes nothing.
    support: none
options:
  url:
    description: The URL to read, C(http://) or C(https://).
    type: str
    required: true
  domain:
    description:
      - The name the certificate must cover. Defaults to the host of O(url).
      - Sent as the TLS server name, so the URL may name the balancer's address or a private
        name while the certificate is checked for the public domain.
    type: str
  method:
    description: HTTP method; the checks only read (V(GET), V(HEAD)).
    type: str
    default: GET
    choices: [GET, HEAD]
  headers:
    description: Extra request headers (an authorisation token, for example); never logged.
    type: dict
    default: {}
  expect_status:
    description: The HTTP statuses that count as an answer; V([]) accepts any (only the certificate matters).
    type: list
    elements: int
    default: [200]
  expect_keys:
    description: Keys the answer, a JSON object, must have.
    type: list
    elements: str
    default: []
  expect_text:
    description: A regular expression the answer must match (multi-line).
    type: str
  read_answer:
    description:
      - Whether to send the HTTP request after the handshake. V(false) checks the certificate
        only, for a listener that does not answer plain HTTP (a WebSocket port).
    type: bool
    default: true
  certificate_min_days:
    description: Report a certificate that expires within this many days (0 = only an expired one).
    type: int
    default: 0
  validate_certs:
    description: Whether the certificate chain must be trusted. The name and dates are always checked.
    type: bool
    default: true
  ca_path:
    description: A CA bundle (PEM) to trust besides the system CAs.
    type: path
  timeout:
    description: Seconds to wait for each connection and answer.
    type: int
    default: 10
  fail_on_problem:
    description: Fail the task when a problem is found.
    type: bool
    default: true
  use_proxy:
    description:
      - Whether to send the request through the proxy of the environment (C(https_proxy)).
      - Off by default, because a proxy would answer for the endpoint; the certificate is
        always read directly.
    type: bool
    default: false
requirements:
  - cryptography (for C(https) URLs)
notes:
  - Runs on the controller (C(delegate_to) localhost) to check the endpoints as a viewer does.
"""

EXAMPLES = r"""
- name: The Ant Media balancer answers with a certificate for the domain
  streamfleet.cluster.endpoint_check:
    url: https://live.example.com/rest/v2/liveness
    domain: live.example.com
    expect_keys: [status]
  delegate_to: localhost

- name: WCS stats of an edge, collected rather than failed
  streamfleet.cluster.endpoint_check:
    url: http://10.0.1.12:8081/?action=stat
    expect_text: '^connections='
    fail_on_problem: false
  register: edge_stats
"""

RETURN = r"""
url:
  description: The URL that was read.
  returned: always
  type: str
  sample: https://live.example.com/rest/v2/liveness
ok:
  description: Whether no problem was found.
  returned: always
  type: bool
problems:
  description: Every problem found, in words.
  returned: always
  type: list
  elements: str
  sample: ["certificate names www.example.com do not cover live.example.com"]
status:
  description: HTTP status of the answer (-1 when none came or O(read_answer=false)).
  returned: always
  type: int
  sample: 200
json:
  description: The answer parsed as JSON, when O(expect_keys) is set and it parses.
  returned: when parsed
  type: raw
certificate:
  description: The certificate presented, for C(https) URLs whose handshake succeeded.
  returned: when read
  type: dict
  contains:
    subject:
      description: The subject, in RFC 4514 form.
      type: str
    dns_names:
      description: The DNS subjectAltName entries.
      type: list
      elements: str
    ip_addresses:
      description: The IP address subjectAltName entries.
      type: list
      elements: str
    not_before:
      description: Start of validity (UTC).
      type: str
    not_after:
      description: End of validity (UTC).
      type: str
"""

from ansible.module_utils.common.text.converters import to_text
from ansible.module_utils.urls import fetch_url
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.endpoint import (
    EndpointError,
    answer_problems,
    certificate_problems,
    chain_problem,
    describe_certificate,
    peer_certificate,
    split_url,
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
            url=dict(type="str", required=True),
            domain=dict(type="str"),
            method=dict(type="str", default="GET", choices=["GET", "HEAD"]),
            headers=dict(type="dict", default={}, no_log=True),
            expect_status=dict(type="list", elements="int", default=[200]),
            expect_keys=dict(type="list", elements="str", default=[], no_log=False),
            expect_text=dict(type="str"),
            read_answer=dict(type="bool", default=True),
            certificate_min_days=dict(type="int", default=0),
            validate_certs=dict(type="bool", default=True),
            ca_path=dict(type="path"),
            timeout=dict(type="int", default=10),
            fail_on_problem=dict(type="bool", default=True),
            # fetch_url reads these from the module's parameters
            use_proxy=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    check_module_input(module, "endpoint_check")
    params = module.params
    try:
        scheme, host, port = split_url(params["url"])
    except EndpointError as exc:
        module.fail_json(msg=str(exc))
    if params["timeout"] < 1 or params["certificate_min_days"] < 0:
        module.fail_json(msg="timeout must be at least 1 second and certificate_min_days at least 0")
    domain = params["domain"] or host
    result = dict(changed=False, url=params["url"], status=-1)
    problems = []

    if scheme == "https":
        try:
            info = describe_certificate(peer_certificate(host, port, params["timeout"], domain))
        except EndpointError as exc:
            problems.append(str(exc))
        else:
            result["certificate"] = info
            problems.extend(certificate_problems(info, domain, min_days=params["certificate_min_days"]))
            if params["validate_certs"]:
                reason = chain_problem(host, port, params["timeout"], domain, params["ca_path"])
                if reason:
                    problems.append(reason)

    if params["read_answer"] and (scheme == "http" or "certificate" in result):
        # The certificate was already judged: read the answer without judging it again.
        trust_chain = params["validate_certs"]
        module.params["validate_certs"] = False
        response, info = fetch_url(module, params["url"], method=params["method"],
                                   headers=params["headers"], timeout=params["timeout"])
        status = info.get("status", -1)
        result["status"] = status
        if response is not None:
            try:
                body = to_text(response.read(), errors="surrogate_or_replace")
            finally:
                response.close()
        else:
            body = to_text(info.get("body", b""), errors="surrogate_or_replace")
        if status == -1:
            problems.append("no answer: %s" % info.get("msg", "unknown error"))
        else:
            found, parsed = answer_problems(status, body, params["expect_status"],
                                            params["expect_keys"], params["expect_text"])
            problems.extend(found)
            if parsed is not None:
                result["json"] = parsed
        module.params["validate_certs"] = trust_chain

    result.update(ok=not problems, problems=problems)
    if problems and params["fail_on_problem"]:
        module.fail_json(msg="%s: %s" % (params["url"], "; ".join(problems)), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
