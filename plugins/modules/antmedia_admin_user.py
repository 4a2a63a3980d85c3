#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: antmedia_admin_user
short_description: Create the first administrator of an Ant Media Server web panel
version_added: 0.3.0
description:
  - Ant Media Server lets anyone create the web panel's first user, an administrator, without
    logging in, for as long as the server has no user at all. This module claims the panel at
    deploy time so the first visitor cannot.
  - It asks the console application C(GET /rest/v2/first-login-status); only when that says no
    user exists does it send C(POST /rest/v2/users/initial) with O(email) and O(password)
    (user type C(ADMIN), scope C(system)). Both calls need no login (the server's
    C(AuthenticationFilter)).
  - Idempotent. Once any user exists nothing is sent and nothing is changed; an existing
    administrator is never overwritten (the unauthenticated API cannot, and the module does not
    try). With O(verify_existing=true) it logs in as O(email) to check that the existing user is
    the declared one, and fails if not.
  - In cluster mode the users live in the cluster database (C(serverdb)), shared by every node;
    run the module against one node, or one node at a time, or through the balancer.
  - Creating the first user makes Ant Media Server report the e-mail, licence key and instance id
    to the vendor (antmedia.io).
  - The password is never logged nor shown in the diff.
options:
  url:
    description:
      - Address of the console application, C(http://HOST:5080) of the server, or a balancer that
        forwards to it. Redirects are refused (a redirected POST would arrive as a GET).
    type: str
    default: http://127.0.0.1:5080
  email:
    description: User name (an e-mail address) of the administrator.
    type: str
    required: true
  password:
    description: Password of the administrator; the server stores its MD5.
    type: str
    required: true
  first_name:
    description: First name shown in the panel.
    type: str
  last_name:
    description: Last name shown in the panel.
    type: str
  verify_existing:
    description:
      - When a user already exists, log in as O(email) with O(password) and fail unless that
        works (someone else claimed the panel, or the password was changed there).
      - A failed login counts towards the server's login block of that user.
    type: bool
    default: false
  wait_timeout:
    description:
      - Seconds to keep retrying while the console cannot be reached or answers an error
        (a starting server, a balancer without healthy targets yet). C(0) tries once.
    type: int
    default: 0
  timeout:
    description: Seconds to wait for each answer.
    type: int
    default: 10
  validate_certs:
    description: Check the certificate of an C(https) O(url).
    type: bool
    default: true
notes:
  - Supports check mode (reads the first-login status, sends nothing) and diff mode (the
    password is never part of the diff).
  - Follows ant-media/Ant-Media-Server's C(RestServiceV2) and C(CommonRestService) of the console
    application (commit 5130ad8893a2a36d36f167045cf3db41cdf0057c).
author:
  - streamfleet maintainers (@streamfleet)
'''

EXAMPLES = r'''
- name: Claim the web panel of this server
  streamfleet.cluster.antmedia_admin_user:
    email: admin@example.com
    password: "{{ vault_antmedia_admin_password }}"
    wait_timeout: 120

- name: Claim a cluster's panel through its balancer, from the controller
  streamfleet.cluster.antmedia_admin_user:
    url: "http://{{ balancer_dns_name }}"
    email: admin@example.com
    password: "{{ vault_antmedia_admin_password }}"
    verify_existing: true
  delegate_to: localhost
'''

RETURN = r'''
created:
  description: Whether this run created the administrator (in check mode, always false).
  returned: always
  type: bool
  sample: true
user_existed:
  description: Whether the server already had a user before this run.
  returned: success
  type: bool
  sample: false
verified:
  description: Whether O(email) logged in; null unless O(verify_existing) was used on a server with a user.
  returned: success
  type: bool
  sample: null
message:
  description: What was found and done, in words.
  returned: always
  type: str
  sample: created the first administrator admin@example.com
'''

from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    StreamfleetModule,
    check_module_input,
    module_edge,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia import (
    ADMIN_USER_TYPE,
    CONSOLE_DEFAULT_URL,
    SYSTEM_SCOPE,
    AntMediaError,
    Console,
    ensure_initial_admin,
)


@module_edge
def main():
    module = StreamfleetModule(
        argument_spec=dict(
            url=dict(type="str", default=CONSOLE_DEFAULT_URL),
            email=dict(type="str", required=True),
            password=dict(type="str", required=True, no_log=True),
            first_name=dict(type="str"),
            last_name=dict(type="str"),
            verify_existing=dict(type="bool", default=False),
            wait_timeout=dict(type="int", default=0),
            timeout=dict(type="int", default=10),
            validate_certs=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    check_module_input(module, "antmedia_admin_user")
    params = module.params
    try:
        # Every input is checked before the first call: url, timeout and wait_timeout by the input
        # rules above (validation.py), the URL's form again by Console, email and password in
        # ensure_initial_admin before it reads anything.
        if params["wait_timeout"] < 0 or params["timeout"] < 1:
            raise AntMediaError("wait_timeout must be 0 or more and timeout 1 or more (seconds)")
        console = Console(params["url"], timeout=params["timeout"], validate_certs=params["validate_certs"])
        result = ensure_initial_admin(
            console, params["email"], params["password"], check_mode=module.check_mode,
            verify_existing=params["verify_existing"], first_name=params["first_name"],
            last_name=params["last_name"], wait_timeout=params["wait_timeout"])
    except AntMediaError as exc:
        module.fail_json(msg="antmedia_admin_user: %s" % exc, created=False)
    if module._diff:
        # What the panel's user list shows, never the password.
        after = {"administrator": params["email"], "user_type": ADMIN_USER_TYPE, "scope": SYSTEM_SCOPE}
        before = {"administrator": None} if result["changed"] else {"administrator": "(an existing user)"}
        result["diff"] = {"before": before, "after": after if result["changed"] else before}
    module.exit_json(**result)


if __name__ == "__main__":
    main()
