# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Options shared by every streamfleet.cluster AWS module (module_utils/aws/session.py AWS_COMMON_ARGS).

    The C(api_calls) return value shared by these modules stays in each module's RETURN: ansible-core
    (2.19) merges doc fragments into DOCUMENTATION only, not into RETURN.
    """

    DOCUMENTATION = r'''
options:
  region:
    description:
      - The AWS region to use, for example V(us-east-1).
      - When not set, the E(AWS_REGION) or E(AWS_DEFAULT_REGION) environment variable is used.
    type: str
    aliases: [aws_region]
  profile:
    description:
      - A profile from the AWS shared credentials/config files.
      - Not to be combined with O(access_key), O(secret_key) or O(session_token).
    type: str
    aliases: [aws_profile]
  endpoint_url:
    description:
      - Use this URL instead of the AWS endpoints, for example a local emulator such as
        V(http://127.0.0.1:5000).
      - When not set, boto3 honours the E(AWS_ENDPOINT_URL) environment variable.
    type: str
    aliases: [aws_endpoint_url]
  access_key:
    description:
      - The AWS access key ID. When not set, boto3 looks in the usual places
        (E(AWS_ACCESS_KEY_ID), the shared credentials file, an instance profile).
    type: str
    aliases: [aws_access_key_id]
  secret_key:
    description:
      - The AWS secret access key. When not set, boto3 looks in the usual places.
    type: str
    aliases: [aws_secret_access_key]
  session_token:
    description:
      - The AWS session token for temporary credentials.
    type: str
  deployment:
    description:
      - The deployment this object belongs to, the value of the C(streamfleet:deployment) tag.
      - Everything the collection creates carries this tag, plus
        C(streamfleet:managed-by=streamfleet.cluster); objects are found by it.
      - Required by the modules that create objects.
    type: str
  tags:
    description:
      - Extra tags for the objects the module creates or updates.
      - The C(streamfleet:deployment) and C(streamfleet:managed-by) tags always win over a tag of
        the same name given here.
    type: dict
    default: {}
  wait:
    description:
      - Wait until the object reached its final state (for example an image is available).
    type: bool
    default: true
  wait_timeout:
    description:
      - How many seconds to wait at most when O(wait=true). The module fails with the last
        status seen when the time is up; the progress it saw is returned in C(wait_progress).
    type: int
    default: 600
notes:
  - Reads and idempotent AWS calls are retried with full-jitter exponential backoff on throttling
    answers, on 5xx answers and on connection failures (up to 10 attempts, 4 for connection
    failures). A create is retried only when it carries a client token, or after a look-up
    shows that the failed create made nothing; so a throttled create never makes an object twice.
  - Results include C(api_calls), the number of AWS calls made per C(service.Operation) (a retried
    call counted once), C(api_retries) when calls were retried, and when
    the module waited, C(wait_progress), the status lines seen while waiting.
  - A failed AWS call is reported with C(error.code) and C(error.message) as AWS returned them.
requirements:
  - boto3
  - botocore
'''
