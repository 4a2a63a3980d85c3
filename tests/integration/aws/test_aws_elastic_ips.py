"""aws_elastic_ips against moto: a numbered, tagged set; one DescribeAddresses on a no-op run;
an associated address is never released by a lower count; absent releases everything."""

DEPLOYMENT = "eiptest"


def addresses(aws):
    found = aws.ec2.describe_addresses(Filters=[{"Name": "tag:streamfleet:deployment", "Values": [DEPLOYMENT]}])
    return sorted((dict((t["Key"], t["Value"]) for t in a.get("Tags", [])).get("streamfleet:index"), a["AllocationId"])
                  for a in found["Addresses"])


def test_elastic_ip_set_lifecycle(run_module, aws, network, base_image_id):
    args = dict(name="streammanager", count=2, deployment=DEPLOYMENT, tags={"team": "video"})
    planned = run_module("aws_elastic_ips", args, check_mode=True, diff=True)
    assert planned["changed"] is True
    assert planned["changes"] == ["allocate Elastic IP streammanager-0", "allocate Elastic IP streammanager-1"]
    assert addresses(aws) == []

    made = run_module("aws_elastic_ips", args)
    assert made["changed"] is True
    assert [a["index"] for a in made["addresses"]] == [0, 1]
    assert [index for index, _allocation in addresses(aws)] == ["0", "1"]
    tags = dict((t["Key"], t["Value"]) for t in aws.ec2.describe_addresses(
        AllocationIds=[made["allocation_ids"][0]])["Addresses"][0]["Tags"])
    assert tags == {"streamfleet:deployment": DEPLOYMENT, "streamfleet:managed-by": "streamfleet.cluster",
                    "streamfleet:elastic-ip-set": "streammanager", "streamfleet:index": "0",
                    "Name": "streammanager-0", "team": "video"}

    again = run_module("aws_elastic_ips", args)
    assert again["changed"] is False, again["changes"]
    assert again["api_calls"] == {"ec2.DescribeAddresses": 1}
    assert again["allocation_ids"] == made["allocation_ids"]

    # index 1 held by a server: a lower count keeps it and says so
    instance = aws.ec2.run_instances(ImageId=base_image_id, InstanceType="t3.micro", MinCount=1, MaxCount=1,
                                     SubnetId=network["subnet_ids"][0])["Instances"][0]["InstanceId"]
    aws.ec2.associate_address(AllocationId=made["allocation_ids"][1], InstanceId=instance)
    lowered = run_module("aws_elastic_ips", dict(args, count=1))
    assert lowered["changed"] is False and lowered["not_released"] == [made["allocation_ids"][1]]

    # absent disassociates and releases
    gone = run_module("aws_elastic_ips", dict(name="streammanager", deployment=DEPLOYMENT, state="absent"))
    assert gone["changed"] is True and addresses(aws) == []
    assert run_module("aws_elastic_ips", dict(name="streammanager", deployment=DEPLOYMENT,
                                              state="absent"))["changed"] is False


def test_bad_count_is_refused_before_any_call(run_module, aws):
    result = run_module("aws_elastic_ips", dict(name="sm", count=65, deployment=DEPLOYMENT))
    assert result.get("failed") is True
    assert "count must be 0..64" in result["msg"]
    assert addresses(aws) == []
