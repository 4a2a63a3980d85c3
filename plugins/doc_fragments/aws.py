# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type


class ModuleDocFragment(object):
    """Options shared by every streamfleet.cluster AWS module (module_utils/aws/session.py).

    The connection options are amazon.aws's (``aws_argument_spec()`` of its module_utils, read
    by ``AnsibleAWSModule``), with the same names, aliases, defaults and environment variables,
    documented here in full because a doc fragment cannot extend another one and the modules
    list this fragment alone; ``session_token`` has two more aliases and one more variable.

    The C(api_calls) return value shared by these modules stays in each module's RETURN: ansible-core
    (2.19) merges doc fragments into DOCUMENTATION only, not into RETURN.
    """

    DOCUMENTATION = r'''
options:
  region:
    description:
      - The AWS region to use, for example V(eu-west-1).
      - When not set, the E(AWS_REGION) environment variable is used, then E(AWS_DEFAULT_REGION)
        (what the AWS CLI and boto3 read), then the C(region) of the AWS profile in use. Nothing
        defaults the region further; without one the module fails before any AWS call.
      - A region that botocore does not know is refused before any AWS call, with the nearest
        known names.
    type: str
    aliases: [aws_region]
  profile:
    description:
      - A named profile of the AWS shared configuration and credentials files
        (E(AWS_CONFIG_FILE), E(AWS_SHARED_CREDENTIALS_FILE), by default C(~/.aws/config) and
        C(~/.aws/credentials)). Its credentials, and its region when O(region) is not set, are used.
      - When not set, the E(AWS_PROFILE) or E(AWS_DEFAULT_PROFILE) environment variable is used.
      - A profile cannot be combined with O(access_key), O(secret_key) or O(session_token),
        including values that come from their environment variables; set those to an empty
        string to use a profile while the variables are set.
    type: str
    aliases: [aws_profile]
  access_key:
    description:
      - The AWS access key ID.
      - When not set, the E(AWS_ACCESS_KEY_ID) or E(AWS_ACCESS_KEY) environment variable is used;
        without any, boto3 looks further (profile, container or instance role).
    type: str
    aliases: [aws_access_key_id, aws_access_key]
  secret_key:
    description:
      - The AWS secret access key.
      - When not set, the E(AWS_SECRET_ACCESS_KEY) or E(AWS_SECRET_KEY) environment variable is used.
    type: str
    aliases: [aws_secret_access_key, aws_secret_key]
  session_token:
    description:
      - The session token of temporary credentials (STS).
      - When not set, the E(AWS_SESSION_TOKEN) or E(AWS_SECURITY_TOKEN) environment variable is used.
      - The aliases C(security_token) and C(aws_security_token) are kept for playbooks written
        for older amazon.aws releases.
    type: str
    aliases: [aws_session_token, security_token, aws_security_token]
  endpoint_url:
    description:
      - Send the AWS calls to this URL instead of the AWS endpoint of the region, for example
        a VPC endpoint or a local emulator such as V(http://127.0.0.1:5000).
      - When not set, the E(AWS_URL) environment variable is used; when that is not set either,
        boto3 honours E(AWS_ENDPOINT_URL) (and the per-service E(AWS_ENDPOINT_URL_EC2) and the like).
    type: str
    aliases: [aws_endpoint_url]
  aws_ca_bundle:
    description:
      - A CA certificate bundle to verify the endpoint's TLS certificate with, for example a
        company proxy's.
      - When not set, the E(AWS_CA_BUNDLE) environment variable is used.
    type: path
  validate_certs:
    description:
      - Verify the TLS certificate of the endpoint. V(false) is for test endpoints only; set
        O(aws_ca_bundle) instead where a private CA signs the certificate.
    type: bool
    default: true
  aws_config:
    description:
      - Settings of the botocore client configuration (C(botocore.config.Config)), merged over
        the collection's own, for example C(connect_timeout), C(read_timeout),
        C(max_pool_connections) or C(proxies).
      - The collection sets C(connect_timeout=10), C(read_timeout=25) and botocore's own retries
        to a single attempt (its retries are its own, see the notes); values given here win.
        Setting C(retries) here adds botocore's retries inside each of the collection's attempts.
    type: dict
  debug_botocore_endpoint_logs:
    description:
      - Return the AWS actions the task made as C(resource_actions), read from botocore's
        endpoint log.
      - When not set, the E(ANSIBLE_DEBUG_BOTOCORE_LOGS) environment variable is used.
    type: bool
    default: false
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
        status seen and the resource it waited for when the time is up; the progress it saw is
        returned in C(wait_progress).
    type: int
    default: 600
notes:
  - The connection options are those of the C(amazon.aws) collection, with the same names,
    aliases and environment variables, so C(module_defaults) for C(group/aws) set them for these
    modules too. Environment variables and AWS files are read where the module runs (usually
    the controller, with C(connection=local) or C(delegate_to=localhost)).
  - Every AWS client has a connect timeout of 10 seconds and a read timeout of 25 seconds
    (O(aws_config) changes them), so an endpoint that accepts the connection and never answers
    fails the task within a minute, naming the endpoint and the call, instead of hanging.
  - Reads and idempotent AWS calls are retried with full-jitter exponential backoff on throttling
    answers, on 5xx answers (up to 10 attempts within 2 minutes), and on connections reset or
    timed out while waiting for the answer (up to 3 attempts, and only within 30 seconds of the
    module's first such failure). A create is retried only when it carries a client token, or
    after a look-up shows that the failed create made nothing; so a throttled create never makes
    an object twice.
  - Nothing else is retried. A 4xx answer other than throttling (bad credentials, access denied,
    an invalid parameter) and a connection that cannot be made (a wrong O(endpoint_url) or
    region; refused, not resolved, not accepted within the connect timeout, TLS failure) fail
    on the first call, naming the call, the endpoint and the region.
  - Results include C(api_calls), the number of AWS calls made per C(service.Operation) (a retried
    call counted once), C(api_retries) when calls were retried, and when the module waited,
    C(wait_progress), what it waited for and how far it got, a line per change of status and at
    least one a minute. A wait that fails or times out returns C(wait_failure) with the resource
    it waited for, the seconds waited and the last status.
  - A failed AWS call is reported with C(error.code) and C(error.message) as AWS returned them,
    plus C(error.call) and C(error.endpoint); an HTML error page instead of an AWS answer is
    reported by its HTTP status and title.
requirements:
  - boto3 >= 1.34.0
  - botocore >= 1.34.0
'''
