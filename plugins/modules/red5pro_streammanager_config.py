#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: red5pro_streammanager_config
short_description: Configure a Red5 Pro Stream Manager 1.x (red5-web.properties, cloud controller, CORS)
version_added: 0.1.0
description:
  - Edits C(webapps/streammanager/WEB-INF/red5-web.properties) of a Red5 Pro Stream Manager 1.x
    by key, in place, keeping comments, blank lines, order, separators, escapes, CRLF and a
    missing final newline. Keys that appear more than once are collapsed to their last
    occurrence (the one Java uses) when this task manages them; the others are reported.
  - A key that the file ships as a commented default (the C(aws.*) block ships as
    C(#aws.defaultzone={default-region}) ...) is B(uncommented in place), as the vendor
    documents and as its installer does, never appended as a second line.
  - With O(cloud_controller), activates the commented C(apiBridge) bean of that controller in
    C(WEB-INF/applicationContext.xml) and comments out the active one (the shipped default is
    C(DummyCloudController)). The controller's jar must be in C(WEB-INF/lib/); this module does
    not copy it.
  - With O(cors_filter=true), adds the Tomcat CORS filter for C(/api/*) to C(WEB-INF/web.xml)
    with the lines the vendor's installer (C(r5p_config_stream_manager.sh)) adds.
  - Secrets (database password, cluster password, API tokens, AWS keys) are C(no_log) options.
    Their values never appear in the result, the diff (shown as C(********)) or warnings.
    When the module writes C(red5-web.properties) while one of those keys has a value (the
    shipped C(cluster.password=changeme) counts), the file and its backup keep only their
    owner's permissions (C(0600) from the shipped C(0644)).
  - Never restarts Red5 Pro. RV(restart_required) tells a handler to restart it.
  - A missing file is an error (the module does not create the Stream Manager's configuration).
author: streamfleet maintainers (@streamfleet)
extends_documentation_fragment:
  - streamfleet.cluster.config_file
attributes:
  diff_mode:
    details: One before/after per changed file; secret values of red5-web.properties shown as C(********).
options:
  home:
    description: Red5 Pro home directory.
    type: path
    default: /usr/local/red5pro
  path:
    description:
      - Path of C(red5-web.properties); defaults to
        C(<home>/webapps/streammanager/WEB-INF/red5-web.properties). C(applicationContext.xml)
        and C(web.xml) are taken from the same directory.
    type: path
  cloud_controller:
    description:
      - The cloud controller whose C(apiBridge) bean is made active in C(applicationContext.xml);
        the other active C(apiBridge) bean is commented out.
      - V(aws) is C(com.red5pro.services.cloud.aws.component.AWSInstanceController);
        V(dummy) is the shipped default C(com.red5pro.services.cloud.sample.component.DummyCloudController).
      - Omitted, the file is not read.
    type: str
    choices: [aws, dummy]
  cors_filter:
    description:
      - V(true) adds the Tomcat CORS filter (all origins; GET, POST, PUT, DELETE) mapped to
        C(/api/*) to C(web.xml) unless a CORS filter is already mapped there.
      - V(false) (the default) leaves C(web.xml) alone; this module never removes a filter.
    type: bool
    default: false
  streammanager_ip:
    description:
      - Key C(streammanager.ip). Must be unique per Stream Manager behind a balancer (an address
        or any unique host-like string).
    type: str
  db_host:
    description: Key C(config.dbHost), the MySQL host.
    type: str
  db_port:
    description: Key C(config.dbPort) (MySQL's default is 3306).
    type: int
  db_user:
    description: Key C(config.dbUser).
    type: str
  db_password:
    description: Key C(config.dbPass).
    type: str
  instance_name_prefix:
    description: Key C(instancecontroller.instanceNamePrefix), the prefix of the node instances' names.
    type: str
  cluster_password:
    description: Key C(cluster.password); must equal the password in every node's C(conf/cluster.xml).
    type: str
  api_access_token:
    description: Key C(serverapi.accessToken).
    type: str
  administrator_token:
    description: Key C(rest.administratorToken), the token of the Stream Manager REST API.
    type: str
  proxy_enabled:
    description: Key C(proxy.enabled).
    type: bool
  aws_default_zone:
    description: Key C(aws.defaultzone).
    type: str
  aws_access_key:
    description:
      - Key C(aws.accessKey). V("") writes the key empty (the AWS controller's bean reads it,
        so it must exist once that controller is active).
    type: str
  aws_secret_key:
    description: Key C(aws.accessSecret); V("") as for O(aws_access_key).
    type: str
  aws_ec2_key_pair_name:
    description: Key C(aws.ec2KeyPairName).
    type: str
  aws_ec2_security_group:
    description: Key C(aws.ec2SecurityGroup).
    type: str
  aws_default_vpc:
    description: Key C(aws.defaultVPC).
    type: bool
  aws_vpc_name:
    description: Key C(aws.vpcName).
    type: str
  aws_operation_timeout_ms:
    description: Key C(aws.operationTimeoutMilliseconds).
    type: int
  aws_fault_zone_block_ms:
    description: Key C(aws.faultZoneBlockMilliseconds).
    type: int
  settings:
    description:
      - Other keys, as a dict key -> value. Booleans are written V(true)/V(false), numbers as
        digits, lists as comma lists, strings as they are (escaped as Java needs).
      - A V(null) value removes the key.
      - Keys of secret options (C(config.dbPass), C(cluster.password), C(serverapi.accessToken),
        C(rest.administratorToken), C(aws.accessKey), C(aws.accessSecret)) are refused here;
        use the matching C(no_log) option so the value stays out of logs.
      - A key must not also be set by a typed option or listed in O(remove).
    type: dict
    default: {}
  remove:
    description: Keys to remove (every occurrence).
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Configure the Stream Manager
  streamfleet.cluster.red5pro_streammanager_config:
    streammanager_ip: "{{ ansible_default_ipv4.address }}"
    db_host: "{{ red5pro_db_host }}"
    db_port: 3306
    db_user: red5pro
    db_password: "{{ vault_red5pro_db_password }}"
    cluster_password: "{{ vault_red5pro_cluster_password }}"
    administrator_token: "{{ vault_red5pro_api_token }}"
    instance_name_prefix: demo
    aws_default_zone: eu-west-1
    aws_ec2_key_pair_name: red5pro
    aws_ec2_security_group: red5pro-nodes
    aws_default_vpc: false
    aws_vpc_name: red5pro-vpc
    cloud_controller: aws
    cors_filter: true
  notify: Restart red5pro
"""

RETURN = r"""
path:
  description: Path of the file that was checked.
  returned: always
  type: str
  sample: /usr/local/red5pro/webapps/streammanager/WEB-INF/red5-web.properties
changed_keys:
  description:
    - Keys whose line was added, uncommented, changed or removed (names only, never values),
      then C(applicationContext.xml) and C(web.xml) when those files changed.
  returned: always
  type: list
  elements: str
  sample: [streammanager.ip, config.dbPass]
restart_required:
  description: Whether the Stream Manager must be restarted (true when anything changed).
  returned: always
  type: bool
  sample: true
backup_files:
  description: Backup copy of each changed file, by file path, when one was made.
  returned: always
  type: dict
  sample: {}
diff:
  description: Before and after text of each planned file, secret values shown as C(********).
  returned: when run with --diff
  type: list
  elements: dict
  sample:
    - before_header: /usr/local/red5pro/webapps/streammanager/WEB-INF/red5-web.properties
      after_header: /usr/local/red5pro/webapps/streammanager/WEB-INF/red5-web.properties
      before: "config.dbPass=********\n"
      after: "config.dbPass=******** (changed)\n"
"""

import os
import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.config_edit import (
    ConfigEditError,
    apply_edits,
    java_value,
    merge_free_settings,
    plan_properties_edit,
    plan_text_edit,
    same_boolean,
    same_integer,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.xml_comments import (
    activate_bean,
    ensure_cors_filter,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.validation import (
    StreamfleetModule,
    check_module_input,
    module_edge,
)

API_BRIDGE = "apiBridge"
CLOUD_CONTROLLERS = {
    "aws": "com.red5pro.services.cloud.aws.component.AWSInstanceController",
    "dummy": "com.red5pro.services.cloud.sample.component.DummyCloudController",
}
CORS_URL_PATTERN = "/api/*"

# option name -> properties key (exactly as the Stream Manager reads them)
TYPED_KEYS = {
    "streammanager_ip": "streammanager.ip",
    "db_host": "config.dbHost",
    "db_port": "config.dbPort",
    "db_user": "config.dbUser",
    "db_password": "config.dbPass",
    "instance_name_prefix": "instancecontroller.instanceNamePrefix",
    "cluster_password": "cluster.password",
    "api_access_token": "serverapi.accessToken",
    "administrator_token": "rest.administratorToken",
    "proxy_enabled": "proxy.enabled",
    "aws_default_zone": "aws.defaultzone",
    "aws_access_key": "aws.accessKey",
    "aws_secret_key": "aws.accessSecret",
    "aws_ec2_key_pair_name": "aws.ec2KeyPairName",
    "aws_ec2_security_group": "aws.ec2SecurityGroup",
    "aws_default_vpc": "aws.defaultVPC",
    "aws_vpc_name": "aws.vpcName",
    "aws_operation_timeout_ms": "aws.operationTimeoutMilliseconds",
    "aws_fault_zone_block_ms": "aws.faultZoneBlockMilliseconds",
}
SECRET_OPTIONS = ("db_password", "cluster_password", "api_access_token", "administrator_token",
                  "aws_access_key", "aws_secret_key")
EMPTY_ALLOWED_SECRETS = ("aws_access_key", "aws_secret_key")
SECRET_KEYS = frozenset(TYPED_KEYS[option] for option in SECRET_OPTIONS)
BOOLEAN_OPTIONS = ("proxy_enabled", "aws_default_vpc")
INTEGER_OPTIONS = ("db_port", "aws_operation_timeout_ms", "aws_fault_zone_block_ms")
# Values that end up in host names, URLs or AWS names: one token, no spaces.
TOKEN_OPTIONS = ("streammanager_ip", "db_host", "db_user", "instance_name_prefix", "aws_default_zone",
                 "aws_ec2_key_pair_name", "aws_ec2_security_group", "aws_vpc_name")
_TOKEN = re.compile(r"^\S+$")


def validate(module):
    params = module.params
    for option in TOKEN_OPTIONS:
        value = params[option]
        if value is not None and not _TOKEN.match(value):
            module.fail_json(msg="%s: %r must be a single word without spaces" % (option, value))
    for option in SECRET_OPTIONS:
        value = params[option]
        # The AWS keys may be written empty: the AWS controller's bean reads them, and an
        # unresolved placeholder would stop the webapp.
        empty_ok = option in EMPTY_ALLOWED_SECRETS
        if value is not None and ((not value and not empty_ok) or any(c in value for c in "\r\n")):
            # Never echo the value.
            module.fail_json(msg="%s must be a%s single line" % (option, "" if empty_ok else " non-empty"))
    if params["db_port"] is not None and not 1 <= params["db_port"] <= 65535:
        module.fail_json(msg="db_port must be between 1 and 65535, got %d" % params["db_port"])
    for option in ("aws_operation_timeout_ms", "aws_fault_zone_block_ms"):
        if params[option] is not None and params[option] < 0:
            module.fail_json(msg="%s must not be negative, got %d" % (option, params[option]))


def desired(module):
    params = module.params
    updates = {}
    equivalent = {}
    removals = list(params["remove"])
    for option, key in TYPED_KEYS.items():
        if params[option] is None:
            continue
        updates[key] = java_value(params[option])
        if option in BOOLEAN_OPTIONS:
            equivalent[key] = same_boolean
        elif option in INTEGER_OPTIONS:
            equivalent[key] = same_integer
    for key, value in params["settings"].items():
        if key in SECRET_KEYS:
            if isinstance(value, str):
                module.no_log_values.add(value)
            option = [name for name, mapped in TYPED_KEYS.items() if mapped == key][0]
            module.fail_json(msg="settings: %s is a secret; give it with the no_log option %s" % (key, option))
    merge_free_settings(module, params["settings"], updates, removals)
    return updates, removals, equivalent


@module_edge
def main():
    argument_spec = dict(
        home=dict(type="path", default="/usr/local/red5pro"),
        path=dict(type="path"),
        settings=dict(type="dict", default={}),
        remove=dict(type="list", elements="str", default=[]),
        backup=dict(type="bool", default=False),
        cloud_controller=dict(type="str", choices=sorted(CLOUD_CONTROLLERS)),
        cors_filter=dict(type="bool", default=False),
    )
    for option in TYPED_KEYS:
        spec = dict(type="str")
        if option in BOOLEAN_OPTIONS:
            spec = dict(type="bool")
        elif option in INTEGER_OPTIONS:
            spec = dict(type="int")
        if option in SECRET_OPTIONS:
            spec["no_log"] = True
        argument_spec[option] = spec
    module = StreamfleetModule(argument_spec=argument_spec, supports_check_mode=True)
    check_module_input(module, 'red5pro_streammanager_config')
    path = module.params["path"] or os.path.join(
        module.params["home"], "webapps", "streammanager", "WEB-INF", "red5-web.properties")

    web_inf = os.path.dirname(path)

    validate(module)
    updates, removals, equivalent = desired(module)
    # Every file is planned (and checked) before any is written.
    try:
        edits = [plan_properties_edit(path, updates, removals, secret_keys=SECRET_KEYS, equivalent=equivalent,
                                      uncomment=True)]
        controller = module.params["cloud_controller"]
        if controller is not None:
            edits.append(plan_text_edit(
                os.path.join(web_inf, "applicationContext.xml"),
                lambda text: activate_bean(text, API_BRIDGE, CLOUD_CONTROLLERS[controller])))
        if module.params["cors_filter"]:
            edits.append(plan_text_edit(
                os.path.join(web_inf, "web.xml"), lambda text: ensure_cors_filter(text, CORS_URL_PATTERN)))
    except ConfigEditError as exc:
        module.fail_json(msg=str(exc))
    result = apply_edits(module, edits, backup=module.params["backup"])
    result["path"] = path
    module.exit_json(**result)


if __name__ == "__main__":
    main()
