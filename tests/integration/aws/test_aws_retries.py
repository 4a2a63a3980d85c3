"""Throttling and 5xx answers (from a fault-injecting proxy in front of moto) are retried."""
DEPLOYMENT = "retry-test"


def test_query_api_throttling_and_5xx_converge(run_module, aws, fault_proxy, base_image_id):
    # EC2 (query protocol): RequestLimitExceeded and 503 answers before the real ones
    fault_proxy.inject("throttle", "503", "throttle", "503")
    args = dict(name="retried", deployment=DEPLOYMENT, image_id=base_image_id, instance_type="t3.micro",
                endpoint_url=fault_proxy.url)
    result = run_module("aws_launch_template", args)
    assert result["changed"] is True, result
    assert [kind for kind, _service in fault_proxy.served] == ["throttle", "503", "throttle", "503"]
    assert sum(result["api_retries"].values()) == 4
    assert aws.ec2.describe_launch_templates(LaunchTemplateNames=["retried"])["LaunchTemplates"]

    # and the next run converges to "nothing to do" through the proxy too
    fault_proxy.inject("503", "throttle")
    result = run_module("aws_launch_template", args)
    assert result["changed"] is False
    assert len(fault_proxy.served) == 6


def test_json_api_throttling_converges(run_module, fault_proxy):
    # The Resource Groups Tagging API speaks JSON: ThrottlingException, then a 503
    fault_proxy.inject("throttle", "503")
    result = run_module("aws_deployment_info", dict(deployment=DEPLOYMENT, endpoint_url=fault_proxy.url))
    assert result.get("failed") is not True, result
    assert fault_proxy.served == [("throttle", "tagging"), ("503", "tagging")]
    assert result["api_retries"] == {"resourcegroupstaggingapi.GetResources": 2}


def test_errors_carry_the_aws_code(run_module, fault_proxy):
    # A non-retryable failure is reported at once, with the AWS error code and message.
    fault_proxy.inject("denied")
    result = run_module("aws_launch_template", dict(name="denied", state="absent", endpoint_url=fault_proxy.url))
    assert result["failed"] is True
    assert result["error"]["code"] == "UnauthorizedOperation"
    assert result["error"]["message"] == "You are not authorized to perform this operation."
    assert "UnauthorizedOperation" in result["msg"]
    assert result["api_calls"] == {"ec2.DescribeLaunchTemplates": 1}
    assert "api_retries" not in result
    assert result["boto3_version"] and result["botocore_version"]


def test_client_side_validation_errors_are_reported(run_module):
    # A name botocore would refuse (ParamValidationError, reported as such by fail_aws, see
    # test_retries.py) is refused before the call by the validation layer, naming the option.
    result = run_module("aws_launch_template", dict(name="x", state="absent"))
    assert result["failed"] is True
    assert result["msg"].startswith("name='x' refused: must be 3-128 characters")
    assert result["api_calls"] == {}


def test_playbook_honours_aws_endpoint_url(playbook, aws, fault_proxy, base_image_id):
    fault_proxy.inject("throttle", "throttle", "503")
    task = {"name": "template through the proxy", "streamfleet.cluster.aws_launch_template": {
        "name": "retried-pb", "deployment": DEPLOYMENT, "image_id": base_image_id, "instance_type": "t3.micro"}}
    results = playbook.run([task], env={"AWS_ENDPOINT_URL": fault_proxy.url})
    assert results[0]["changed"] is True
    assert len(fault_proxy.served) == 3 and fault_proxy.forwarded >= 3
    assert aws.ec2.describe_launch_templates(LaunchTemplateNames=["retried-pb"])["LaunchTemplates"]


def test_create_whose_answer_is_lost_is_not_sent_twice(run_module, aws, fault_proxy):
    # DescribeVpcs passes; CreateVpc is carried out by moto but answered 503. The module looks
    # for the VPC (by its tags) before sending the create again, finds it, and goes on.
    fault_proxy.inject("pass", "lost")
    args = dict(name="once", deployment=DEPLOYMENT, cidr_block="10.42.0.0/16", endpoint_url=fault_proxy.url)
    result = run_module("aws_network", args)
    assert result.get("failed") is not True, result
    assert fault_proxy.served == [("lost", "ec2")]
    assert result["api_calls"]["ec2.CreateVpc"] == 1
    assert "api_retries" not in result  # found by the re-read: nothing was re-sent
    vpcs = aws.ec2.describe_vpcs(Filters=[{"Name": "tag:Name", "Values": ["once"]}])["Vpcs"]
    assert len(vpcs) == 1 and vpcs[0]["VpcId"] == result["vpc_id"]
    assert run_module("aws_network", args)["changed"] is False
