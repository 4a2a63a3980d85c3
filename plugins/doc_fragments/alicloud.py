# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    # Credentials, region and timeouts of every Alibaba Cloud module (ALICLOUD_COMMON_ARGUMENT_SPEC
    # in module_utils/alicloud/common.py); each module documents its own endpoint option.
    DOCUMENTATION = r"""
options:
  access_key_id:
    description:
      - AccessKey id. Defaults to E(ALIBABA_CLOUD_ACCESS_KEY_ID), then E(ALICLOUD_ACCESS_KEY),
        then the profile.
    type: str
    aliases: [alicloud_access_key]
  access_key_secret:
    description:
      - AccessKey secret. Defaults to E(ALIBABA_CLOUD_ACCESS_KEY_SECRET), then
        E(ALICLOUD_SECRET_KEY), then the profile.
    type: str
    aliases: [alicloud_secret_key]
  security_token:
    description: STS token for temporary credentials. Defaults to E(ALIBABA_CLOUD_SECURITY_TOKEN).
    type: str
    aliases: [alicloud_security_token]
  profile:
    description:
      - Profile name in the aliyun CLI configuration file, used for what neither the options nor
        the environment provide. Defaults to E(ALIBABA_CLOUD_PROFILE), then the file's current profile.
    type: str
    aliases: [alicloud_profile]
  config_file:
    description: The aliyun CLI configuration file.
    type: path
    default: ~/.aliyun/config.json
  region:
    description: Region id such as C(cn-hangzhou). Defaults to E(ALIBABA_CLOUD_REGION_ID), then the profile.
    type: str
    aliases: [region_id, alicloud_region]
  connect_timeout:
    description: Seconds to wait for a connection to an endpoint.
    type: int
    default: 10
  read_timeout:
    description: Seconds to wait for one API response.
    type: int
    default: 60
"""
