"""Resource type schemas for the ROS stand-in (tests/standins/ros_standin.py), and the check.

Written by us from Alibaba Cloud's ROS resource reference, one page per resource type (the
``source`` of each entry; read 2026-12-07). Each page has a "Syntax" block (every property
name and its type), a "Properties" table (required, valid values, ranges) and "Return values"
(the attributes Fn::GetAtt accepts). Only what those pages state is checked here:

- a property name the type does not document is refused (a misspelled property);
- a property the page marks required and the resource leaves out is refused;
- a value of the wrong type (String, Integer, Number, Boolean, List, Map) is refused; like ROS,
  an integer written as a decimal string and "true"/"false" for a boolean are accepted;
- a value outside the page's valid values (enums) or documented numeric range is refused;
- Fn::GetAtt of an attribute the type does not list under "Return values" is refused.

Values computed by a function (Ref, Fn::GetAtt, Fn::Join, ...) are known only when ROS runs the
stack; their type and range are not checked. Nested Map/List properties are checked where the
page documents their keys (e.g. ALB HealthCheckConfig, ZoneMappings, Tags).

The error code and the message shape follow the ROS API error codes page
(https://www.alibabacloud.com/help/en/ros/developer-reference/api-ros-2019-09-10-errorcodes):
``StackValidationFailed`` (HTTP 400), message ``Stack validation failed: {reason}``; the
wording of ``{reason}`` is ours and names the resource and the property.
"""
import json
import re

DOC = "https://www.alibabacloud.com/help/en/ros/developer-reference/"


def prop(kind, required=False, allowed=None, minimum=None, maximum=None, min_len=None, max_len=None,
         items=None, keys=None, min_items=None, max_items=None):
    """One documented property: its type and the constraints the page states."""
    return {"type": kind, "required": required, "allowed": allowed, "min": minimum, "max": maximum,
            "min_len": min_len, "max_len": max_len, "items": items, "keys": keys,
            "min_items": min_items, "max_items": max_items}


def S(**kw):
    return prop("String", **kw)


def Int(**kw):
    return prop("Integer", **kw)


def N(**kw):
    return prop("Number", **kw)


def B(**kw):
    return prop("Boolean", **kw)


def L(**kw):
    return prop("List", **kw)


def M(**kw):
    return prop("Map", **kw)


# Tags as every page of these types documents them: at most 20, Key required (1-128 chars).
TAGS = L(max_items=20, items=M(keys={"Key": S(required=True, min_len=1, max_len=128), "Value": S(max_len=128)}))
DISK_CATEGORIES = ["cloud", "cloud_efficiency", "cloud_ssd", "cloud_essd", "ephemeral_ssd", "cloud_auto",
                   "cloud_essd_entry"]
SPOT_STRATEGIES = ["NoSpot", "SpotWithPriceLimit", "SpotAsPriceGo"]
CHARGE_TYPES = ["PrePaid", "PostPaid"]
INTERNET_CHARGE = ["PayByBandwidth", "PayByTraffic"]

SCHEMAS = {
    "DATASOURCE::ECS::Images": {
        # A data source (ROS user guide "Data source resources"): queries, creates nothing. Names and
        # types from the page's Syntax block; allowed values from its Properties table (OSType and
        # Architecture as the ROS resource specification lists them in the ROS CDK's ImagesProps,
        # @alicloud/ros-cdk-ecs datasource/images). Status takes a comma-separated list, so it is not an
        # enum here. Return values: ImageIds (the list of image ids) and Images (the list of images).
        "source": DOC + "datasource-ecs-images",
        "properties": {
            "Status": S(), "ImageOwnerAlias": S(allowed=["system", "self", "others", "marketplace"]),
            "Usage": S(allowed=["instance", "none"]), "ActionType": S(allowed=["CreateEcs", "ChangeOS"]),
            "ResourceGroupId": S(), "Architecture": S(allowed=["i386", "x86_64", "arm64"]), "ImageFamily": S(),
            "IsSupportIoOptimized": B(), "IsSupportCloudinit": B(), "ImageName": S(), "SnapshotId": S(),
            "IsPublic": B(), "OSType": S(allowed=["windows", "linux"]), "ImageId": S(), "InstanceType": S(),
            "Tags": L(), "RefreshOptions": S(allowed=["Never", "Always"]),
        },
        "attributes": ["ImageIds", "Images"],
    },
    "ALIYUN::DNS::DomainRecord": {
        # The page: RR, DomainName, Value and Type required; Type "see DNS record types", whose
        # values are those of the Alibaba Cloud DNS API AddDomainRecord
        # (https://www.alibabacloud.com/help/en/dns/api-alidns-2015-01-09-adddomainrecord).
        "source": DOC + "aliyun-dns-domainrecord",
        "properties": {
            "RR": S(required=True, min_len=1), "DomainName": S(required=True), "Value": S(required=True),
            "Type": S(required=True, allowed=["A", "NS", "MX", "TXT", "CNAME", "SRV", "AAAA", "CAA",
                                              "REDIRECT_URL", "FORWARD_URL"]),
            "Priority": Int(), "TTL": Int(), "Line": S(),
        },
        "attributes": ["RecordId"],
    },
    "ALIYUN::CAS::Certificate": {
        # Cert and Key in PEM; Name unique within the account (not checkable here).
        "source": DOC + "aliyun-cas-certificate",
        "properties": {
            "Cert": S(required=True), "Key": S(required=True), "Name": S(required=True, min_len=1),
            "Lang": S(), "SourceIp": S(),
        },
        "attributes": ["CertId"],
    },
    "ALIYUN::ESS::LifecycleHook": {
        # Ranges and values as the page states them, with the ESS API's CreateLifecycleHook for the
        # lists it refers to (HeartbeatTimeout 30-21600 s, DefaultResult CONTINUE or ABANDON).
        "source": DOC + "aliyun-ess-lifecyclehook",
        "properties": {
            "ScalingGroupId": S(required=True), "LifecycleTransition": S(required=True, allowed=["SCALE_OUT", "SCALE_IN"]),
            "LifecycleHookName": S(min_len=2, max_len=40), "NotificationArn": S(), "NotificationMetadata": S(max_len=4096),
            "HeartbeatTimeout": Int(minimum=30, maximum=21600), "DefaultResult": S(allowed=["CONTINUE", "ABANDON"]),
        },
        "attributes": ["LifecycleHookId"],
    },
    "ALIYUN::OOS::SecretParameter": {
        # Read on the Chinese page https://help.aliyun.com/zh/ros/developer-reference/aliyun-oos-secretparameter.
        "source": DOC + "aliyun-oos-secretparameter",
        "properties": {
            "Description": S(max_len=200), "Constraints": M(), "ResourceGroupId": S(),
            "SecretParameterName": S(required=True, min_len=1, max_len=180), "Value": S(required=True, max_len=4096),
            "KeyId": S(), "Tags": TAGS,
        },
        "attributes": ["Description", "CreatedBy", "ResourceGroupId", "SecretParameterName", "UpdatedDate",
                       "CreateTime", "KeyId", "SecretParameterId", "UpdatedBy", "Type", "Constraints",
                       "ParameterVersion", "Tags", "ShareType"],
    },
    "ALIYUN::RAM::Role": {
        "source": DOC + "aliyun-ram-role",
        "properties": {
            "RoleName": S(required=True, min_len=1, max_len=64), "Description": S(max_len=1024),
            "AssumeRolePolicyDocument": M(required=True), "MaxSessionDuration": Int(minimum=3600, maximum=43200),
            "Policies": L(), "IgnoreExisting": B(), "DeletionForce": B(), "PolicyAttachments": M(),
        },
        "attributes": ["RoleName", "RoleId", "Arn"],
    },
    "ALIYUN::VPC::EIP": {
        "source": DOC + "aliyun-vpc-eip",
        "properties": {
            "DeletionProtection": B(), "Name": S(min_len=2, max_len=128), "Tags": TAGS, "Isp": S(),
            "Netmode": S(allowed=["public"]), "Period": N(), "ResourceGroupId": S(), "AutoPay": B(),
            "InstanceChargeType": S(allowed=["Prepaid", "Postpaid"]), "PricingCycle": S(allowed=["Month", "Year"]),
            "Bandwidth": N(), "InternetChargeType": S(allowed=INTERNET_CHARGE), "Description": S(),
            "SecurityProtectionTypes": L(max_items=10), "PublicIpAddressPoolId": S(), "Zone": S(),
        },
        "attributes": ["EipAddress", "AllocationId"],
    },
    "ALIYUN::VPC::EIPAssociation": {
        "source": DOC + "aliyun-vpc-eipassociation",
        "properties": {
            "AllocationId": S(required=True), "InstanceId": S(required=True), "PrivateIpAddress": S(),
            "Mode": S(allowed=["NAT", "MULTI_BINDED", "BINDED"]),
        },
        "attributes": ["EipAddress", "AllocationId"],
    },
    "ALIYUN::ECS::VPC": {
        "source": DOC + "aliyun-ecs-vpc",
        "properties": {
            "CidrBlock": S(), "VpcName": S(min_len=1, max_len=128), "Description": S(min_len=1, max_len=256),
            "EnableIpv6": B(), "Ipv6CidrBlock": S(), "Ipv6Isp": S(), "ResourceGroupId": S(),
            "SecondaryCidrBlocks": L(), "UserCidr": S(), "Tags": TAGS, "DhcpOptionsSetId": S(),
            "Ipv4IpamPoolId": S(), "Ipv4CidrMask": Int(), "Ipv6CidrBlocks": L(),
        },
        "attributes": ["VpcId", "VRouterId", "RouteTableId", "CidrBlock", "Ipv6CidrBlock", "ResourceGroupId",
                       "VpcName", "Arn"],
    },
    "ALIYUN::ECS::VSwitch": {
        "source": DOC + "aliyun-ecs-vswitch",
        "properties": {
            "VpcId": S(required=True), "ZoneId": S(required=True), "CidrBlock": S(required=True),
            "VSwitchName": S(min_len=2, max_len=128), "Description": S(min_len=2, max_len=256),
            "Ipv6CidrBlock": Int(minimum=0, maximum=255), "VpcIpv6CidrBlock": S(), "ZoneType": S(), "Tags": TAGS,
        },
        "attributes": ["VSwitchId", "CidrBlock", "Ipv6CidrBlock", "VSwitchName"],
    },
    "ALIYUN::ECS::SecurityGroup": {
        "source": DOC + "aliyun-ecs-securitygroup",
        "properties": {
            "SecurityGroupName": S(min_len=2, max_len=128), "Description": S(min_len=2, max_len=256),
            "VpcId": S(), "ResourceGroupId": S(), "SecurityGroupType": S(allowed=["normal", "enterprise"]),
            "SecurityGroupIngress": L(), "SecurityGroupEgress": L(), "Tags": TAGS,
        },
        "attributes": ["SecurityGroupId", "SecurityGroupName"],
    },
    "ALIYUN::ECS::SecurityGroupIngress": {
        "source": DOC + "aliyun-ecs-securitygroupingress",
        "properties": {
            "SecurityGroupId": S(required=True),
            "IpProtocol": S(required=True, allowed=["tcp", "udp", "icmp", "gre", "all"]),
            "PortRange": S(required=True), "SourceCidrIp": S(), "SourceGroupId": S(), "SourceGroupOwnerId": S(),
            "Ipv6SourceCidrIp": S(), "SourcePortRange": S(), "SourcePrefixListId": S(),
            "NicType": S(allowed=["internet", "intranet"]), "Policy": S(allowed=["accept", "drop"]),
            "Priority": Int(minimum=1, maximum=100), "Description": S(min_len=1, max_len=512),
        },
        "attributes": [],
    },
    "ALIYUN::ECS::Instance": {
        "source": DOC + "aliyun-ecs-instance",
        "properties": {
            "ImageId": S(required=True), "InstanceType": S(required=True),
            "DedicatedHostId": S(), "Period": N(), "AutoRenew": S(allowed=["True", "False"]), "RamRoleName": S(),
            "IoOptimized": S(allowed=["none", "optimized"]), "InternetChargeType": S(allowed=INTERNET_CHARGE),
            "PrivateIpAddress": S(), "KeyPairName": S(), "SystemDiskDiskName": S(),
            "PeriodUnit": S(allowed=["Week", "Month", "Year"]), "Description": S(), "Tags": TAGS, "HostName": S(),
            "AutoRenewPeriod": N(), "ResourceGroupId": S(), "InstanceChargeType": S(allowed=CHARGE_TYPES),
            "VSwitchId": S(), "Password": S(), "PasswordInherit": B(), "SystemDiskCategory": S(allowed=DISK_CATEGORIES),
            "SubscriptionDeletionForce": B(), "UserData": S(), "SystemDiskSize": N(), "ZoneId": S(),
            "InternetMaxBandwidthOut": Int(minimum=0), "VpcId": S(), "SpotStrategy": S(allowed=SPOT_STRATEGIES),
            "InstanceName": S(), "DeletionProtection": B(), "DeploymentSetId": S(), "SecurityGroupIds": L(),
            "SecurityGroupId": S(), "SecurityEnhancementStrategy": S(allowed=["Active", "Deactive"]),
            "SpotPriceLimit": S(), "HpcClusterId": S(), "AllocatePublicIP": B(), "SystemDiskDescription": S(),
            "SystemDiskPerformanceLevel": S(allowed=["PL0", "PL1", "PL2", "PL3"]), "DiskMappings": L(),
            "SpotInterruptionBehavior": S(), "ZoneIds": L(), "SpotDuration": Int(), "CreditSpecification": S(),
            "PrivatePoolOptions": M(), "StorageSetId": S(), "HttpTokens": S(allowed=["optional", "required"]),
            "HttpEndpoint": S(allowed=["enabled", "disabled"]), "Tenancy": S(), "StorageSetPartitionNumber": Int(),
            "DeploymentSetGroupNo": Int(), "Affinity": S(), "UseAdditionalService": B(), "ImageFamily": S(),
        },
        "attributes": ["InstanceId", "PrivateIp", "PublicIp", "ZoneId", "HostName", "InnerIp",
                       "PrimaryNetworkInterfaceId"],
    },
    "ALIYUN::ECS::LaunchTemplate": {
        "source": DOC + "aliyun-ecs-launchtemplate",
        "properties": {
            "LaunchTemplateName": S(required=True, min_len=2, max_len=128), "VersionDescription": S(),
            "ImageId": S(), "InstanceType": S(), "SecurityGroupId": S(), "NetworkType": S(allowed=["vpc", "classic"]),
            "VSwitchId": S(), "InstanceName": S(), "Description": S(), "InternetMaxBandwidthOut": Int(minimum=0),
            "HostName": S(), "ZoneId": S(), "SystemDiskCategory": S(allowed=DISK_CATEGORIES),
            "SystemDiskSize": N(), "SystemDiskDiskName": S(), "SystemDiskDescription": S(),
            "IoOptimized": S(allowed=["none", "optimized"]), "InternetChargeType": S(allowed=INTERNET_CHARGE),
            "UserData": S(), "KeyPairName": S(), "RamRoleName": S(), "AutoReleaseTime": S(),
            "SpotStrategy": S(allowed=SPOT_STRATEGIES), "SpotPriceLimit": S(),
            "SecurityEnhancementStrategy": S(allowed=["Active", "Deactive"]), "DiskMappings": L(),
            "NetworkInterfaces": L(), "Tags": TAGS, "TemplateTags": TAGS, "TemplateResourceGroupId": S(),
            "SecurityGroupIds": L(), "ResourceGroupId": S(), "SpotDuration": Int(minimum=0, maximum=6),
            "ImageOwnerAlias": S(), "Period": Int(), "Ipv6AddressCount": Int(), "PrivateIpAddress": S(),
            "PasswordInherit": B(), "SystemDiskDeleteWithInstance": B(), "DeploymentSetId": S(),
            "InstanceChargeType": S(allowed=CHARGE_TYPES), "SystemDiskPerformanceLevel": S(),
        },
        "attributes": ["LaunchTemplateId", "LaunchTemplateName", "DefaultVersionNumber", "LatestVersionNumber"],
    },
    "ALIYUN::ALB::LoadBalancer": {
        "source": DOC + "aliyun-alb-loadbalancer",
        "properties": {
            "AddressType": S(required=True, allowed=["Internet", "Intranet"]),
            "LoadBalancerBillingConfig": M(required=True, keys={
                "PayType": S(required=True, allowed=["PayAsYouGo"]), "BandwidthPackageId": S()}),
            "LoadBalancerEdition": S(required=True, allowed=["Basic", "Standard", "StandardWithWaf"]),
            "VpcId": S(required=True),
            "ZoneMappings": L(required=True, min_items=2, items=M(keys={
                "ZoneId": S(required=True), "VSwitchId": S(required=True), "AllocationId": S(),
                "IntranetAddress": S(), "EipType": S(), "Ipv6Address": S()})),
            "BandwidthPackageId": S(), "LoadBalancerName": S(min_len=2, max_len=128), "ResourceGroupId": S(),
            "AddressAllocatedMode": S(allowed=["Fixed", "Dynamic"]), "DeletionProtectionEnabled": B(),
            "AddressIpVersion": S(allowed=["IPv4", "DualStack"]), "ModificationProtectionConfig": M(),
            "Tags": TAGS, "AccessLogConfig": M(), "SecurityGroupIds": L(), "Ipv6AddressType": S(),
        },
        "attributes": ["LoadBalancerId", "DNSName", "AddressType", "LoadBalancerEdition", "VpcId",
                       "LoadBalancerName", "Arn"],
    },
    "ALIYUN::ALB::Listener": {
        "source": DOC + "aliyun-alb-listener",
        "properties": {
            "DefaultActions": L(required=True, items=M(keys={
                "Type": S(required=True, allowed=["ForwardGroup"]),
                "ForwardGroupConfig": M(required=True, keys={"ServerGroupTuples": L(required=True, items=M(keys={
                    "ServerGroupId": S(required=True), "Weight": Int(minimum=0, maximum=100)}))})})),
            "ListenerPort": Int(required=True, minimum=1, maximum=65535),
            "ListenerProtocol": S(required=True, allowed=["HTTP", "HTTPS", "QUIC"]),
            "LoadBalancerId": S(required=True),
            "Certificates": L(items=M(keys={"CertificateId": S()})), "RequestTimeout": Int(minimum=1, maximum=600),
            "Http2Enabled": B(), "IdleTimeout": Int(minimum=1, maximum=60), "QuicConfig": M(), "GzipEnabled": B(),
            "SecurityPolicyId": S(), "ListenerDescription": S(min_len=2, max_len=256), "XForwardedForConfig": M(),
            "CaEnabled": B(), "CaCertificates": L(), "ListenerStatus": S(allowed=["Running", "Stopped"]),
            "LogConfig": M(),
        },
        "attributes": ["ListenerId"],
    },
    "ALIYUN::ALB::ServerGroup": {
        "source": DOC + "aliyun-alb-servergroup",
        "properties": {
            "HealthCheckConfig": M(required=True, keys={
                "HealthCheckEnabled": B(required=True), "HealthCheckCodes": L(), "HealthCheckConnectPort": Int(
                    minimum=0, maximum=65535), "HealthCheckHost": S(),
                "HealthCheckHttpVersion": S(allowed=["HTTP1.0", "HTTP1.1"]), "HealthCheckInterval": Int(
                    minimum=1, maximum=50), "HealthCheckMethod": S(allowed=["GET", "POST", "HEAD"]),
                "HealthCheckPath": S(), "HealthCheckProtocol": S(allowed=["HTTP", "HTTPS", "TCP", "gRPC"]),
                "HealthCheckTimeout": Int(minimum=1, maximum=300), "HealthyThreshold": Int(minimum=2, maximum=10),
                "UnhealthyThreshold": Int(minimum=2, maximum=10)}),
            "ServerGroupName": S(required=True, min_len=2, max_len=128), "VpcId": S(), "ResourceGroupId": S(),
            "Scheduler": S(allowed=["Wrr", "Wlc", "Sch", "Uch"]),
            "StickySessionConfig": M(keys={
                "StickySessionEnabled": B(), "StickySessionType": S(allowed=["Insert", "Server"]),
                "CookieTimeout": Int(minimum=1, maximum=86400), "Cookie": S(min_len=1, max_len=200)}),
            "Protocol": S(allowed=["HTTP", "HTTPS", "gRPC"]), "ServerGroupType": S(allowed=["Instance", "Ip", "Fc"]),
            "Tags": TAGS, "ServiceName": S(), "UpstreamKeepaliveEnabled": B(), "SlowStartConfig": M(),
            "ConnectionDrainConfig": M(), "UchConfig": M(), "CrossZoneEnabled": B(), "Ipv6Enabled": B(),
        },
        "attributes": ["ServerGroupId"],
    },
    "ALIYUN::ESS::ScalingGroup": {
        "source": DOC + "aliyun-ess-scalinggroup",
        "properties": {
            "MinSize": Int(required=True, minimum=0, maximum=1000), "MaxSize": Int(required=True, minimum=0, maximum=2000),
            "MultiAZPolicy": S(allowed=["PRIORITY", "BALANCE", "COST_OPTIMIZED", "COMPOSABLE"]),
            "DesiredCapacity": Int(minimum=0, maximum=2000), "NotificationConfigurations": L(),
            "ProtectedInstances": L(), "LaunchTemplateId": S(), "LaunchTemplateVersion": S(),
            "ScalingGroupName": S(min_len=2, max_len=64), "VSwitchIds": L(), "DefaultCooldown": Int(
                minimum=0, maximum=86400), "GroupDeletionProtection": B(), "InstanceId": S(), "VSwitchId": S(),
            "LoadBalancerIds": L(), "StandbyInstances": L(),
            "RemovalPolicys": L(max_items=2, items=S(allowed=[
                "OldestInstance", "NewestInstance", "OldestScalingConfiguration", "CustomPolicy"])),
            "HealthCheckType": S(allowed=["ECS", "NONE", "LOAD_BALANCER"]), "DBInstanceIds": L(), "Tags": TAGS,
            "OnDemandPercentageAboveBaseCapacity": Int(minimum=0, maximum=100), "CompensateWithOnDemand": B(),
            "ContainerGroupId": S(), "ScalingPolicy": S(allowed=["release", "recycle", "forceRecycle",
                                                                 "forceRelease"]),
            "SpotInstanceRemedy": B(), "SpotInstancePools": Int(minimum=0, maximum=10),
            "OnDemandBaseCapacity": Int(minimum=0, maximum=1000), "GroupType": S(allowed=["ECS", "ECI"]),
            "LaunchTemplateOverrides": L(), "AllocationStrategy": S(allowed=["priority", "lowestPrice"]),
            "AzBalance": B(), "MaxInstanceLifetime": Int(), "CustomPolicyARN": S(),
            "SpotAllocationStrategy": S(allowed=["priority", "lowestPrice"]),
            "HealthCheckTypes": L(items=S(allowed=["ECS", "NONE", "LOAD_BALANCER"])),
            "ServerGroups": L(items=M(keys={
                "ServerGroupId": S(required=True), "Type": S(required=True, allowed=["ALB", "NLB", "GWLB"]),
                "Port": Int(minimum=1, maximum=65535), "Weight": Int(minimum=0, maximum=100)})),
            "ResourceGroupId": S(),
        },
        "attributes": ["ScalingGroupId", "ScalingGroupName"],
    },
    "ALIYUN::ESS::ScalingGroupEnable": {
        "source": DOC + "aliyun-ess-scalinggroupenable",
        "properties": {
            "ScalingGroupId": S(required=True), "ScalingConfigurationId": S(),
            "ScalingRuleArisExecuteVersion": Int(minimum=0), "ScalingRuleAris": L(max_items=10),
            "RemoveInstanceIds": L(max_items=1000), "InstanceIds": L(max_items=20),
            "DetachOptions": M(keys={"LifecycleHook": B(), "DecreaseDesiredCapacity": B(), "DetachOption": S()}),
            "AttachOptions": M(keys={"LifecycleHook": B(), "Entrusted": B()}),
        },
        "attributes": ["ScalingInstances", "ScalingInstanceDetails", "LifecycleState"],
    },
    "ALIYUN::ESS::ScalingRule": {
        "source": DOC + "aliyun-ess-scalingrule",
        "properties": {
            "ScalingGroupId": S(required=True), "AdjustmentValue": Int(), "Cooldown": Int(minimum=0, maximum=86400),
            "AdjustmentType": S(allowed=["QuantityChangeInCapacity", "PercentChangeInCapacity", "TotalCapacity"]),
            "ScalingRuleName": S(), "MetricName": S(), "PredictiveTaskBufferTime": Int(),
            "ScalingRuleType": S(allowed=["SimpleScalingRule", "TargetTrackingScalingRule", "StepScalingRule",
                                          "PredictiveScalingRule"]),
            "PredictiveValueBuffer": Int(), "TargetValue": N(), "StepAdjustment": L(), "PredictiveValueBehavior": S(),
            "DisableScaleIn": B(), "InitialMaxSize": Int(), "MinAdjustmentMagnitude": Int(),
            "EstimatedInstanceWarmup": Int(), "PredictiveScalingMode": S(), "ScaleInEvaluationCount": Int(),
            "ScaleOutEvaluationCount": Int(),
        },
        "attributes": ["ScalingRuleId", "ScalingRuleAri"],
        # The AdjustmentValue range depends on AdjustmentType (page, AdjustmentValue row).
        "adjustment_ranges": {"QuantityChangeInCapacity": (-500, 500), "PercentChangeInCapacity": (-100, 10000),
                              "TotalCapacity": (0, 1000)},
    },
    "ALIYUN::ESS::AlarmTask": {
        "source": DOC + "aliyun-ess-alarmtask",
        "properties": {
            "ScalingGroupId": S(required=True), "AlarmAction": L(required=True, min_items=1, max_items=5),
            "Threshold": N(required=True), "MetricName": S(required=True),
            "Statistics": S(allowed=["Average", "Minimum", "Maximum"]), "Name": S(),
            "EvaluationCount": Int(minimum=1), "Period": Int(allowed=[60, 120, 300, 900]),
            "MetricType": S(allowed=["system", "custom"]), "ComparisonOperator": S(allowed=["<=", "<", ">", ">="]),
            "Dimensions": L(items=M(keys={"DimensionKey": S(required=True), "DimensionValue": S(required=True)})),
            "GroupId": Int(), "Description": S(),
        },
        "attributes": ["AlarmTaskId"],
    },
}

# Keys a resource may carry besides Type and Properties (ROS template structure page,
# https://www.alibabacloud.com/help/en/ros/user-guide/resources).
RESOURCE_KEYS = {"Type", "Properties", "Metadata", "DependsOn", "DeletionPolicy", "Description", "Condition", "Count"}
FUNCTIONS = {"Ref", "Fn::GetAtt", "Fn::Join", "Fn::Replace", "Fn::Sub", "Fn::Select", "Fn::If", "Fn::Equals",
             "Fn::Not", "Fn::And", "Fn::Or", "Fn::Split", "Fn::Base64Encode", "Fn::FindInMap", "Fn::GetAZs",
             "Fn::Str", "Fn::Length", "Fn::Indent", "Fn::Jq", "Fn::ListMerge", "Fn::MergeMapToList",
             "Fn::Avg", "Fn::Add", "Fn::Max", "Fn::Min", "Fn::Calculate", "Fn::GetJsonValue", "Fn::MarketplaceImage"}


class SchemaError(Exception):
    """A template ROS would refuse: ``reason`` is the {reason} part of the documented message."""

    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason


def is_function(value):
    return isinstance(value, dict) and len(value) == 1 and next(iter(value)) in FUNCTIONS


def _describe(value):
    return json.dumps(value) if not isinstance(value, str) else '"%s"' % value


def _coerce(spec, value, where):
    """The value as the documented type, or SchemaError; None for a function value."""
    kind = spec["type"]
    if is_function(value):
        return None
    if kind == "String":
        if isinstance(value, (dict, list)):
            raise SchemaError("%s: Value %s is not a string." % (where, _describe(value)))
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)
    if kind == "Integer":
        if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str)
                                                                      and re.fullmatch(r"-?\d+", value.strip()))):
            raise SchemaError("%s: Value %s is not an integer." % (where, _describe(value)))
        return int(value)
    if kind == "Number":
        if isinstance(value, bool) or isinstance(value, (dict, list)):
            raise SchemaError("%s: Value %s is not a number." % (where, _describe(value)))
        try:
            return float(value)
        except ValueError:
            raise SchemaError("%s: Value %s is not a number." % (where, _describe(value)))
    if kind == "Boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise SchemaError("%s: Value %s is not a boolean." % (where, _describe(value)))
    if kind == "List":
        if not isinstance(value, list):
            raise SchemaError("%s: Value %s is not a list." % (where, _describe(value)))
        return value
    if kind == "Map":
        if not isinstance(value, dict):
            raise SchemaError("%s: Value %s is not a map." % (where, _describe(value)))
        return value
    return value


def check_value(spec, value, where):
    typed = _coerce(spec, value, where)
    if typed is None:
        return
    allowed = spec["allowed"]
    if allowed is not None and typed not in allowed:
        raise SchemaError('%s: %s is not an allowed value [%s].'
                          % (where, _describe(value), ", ".join(str(a) for a in allowed)))
    if spec["type"] in ("Integer", "Number"):
        low, high = spec["min"], spec["max"]
        if (low is not None and typed < low) or (high is not None and typed > high):
            raise SchemaError("%s: %s is out of range (min: %s, max: %s)." % (where, _describe(value), low, high))
    if spec["type"] == "String" and (spec["min_len"] is not None or spec["max_len"] is not None):
        low, high = spec["min_len"] or 0, spec["max_len"]
        if len(typed) < low or (high is not None and len(typed) > high):
            raise SchemaError("%s: length (%d) is out of range (min: %s, max: %s)." % (where, len(typed), low, high))
    if spec["type"] == "List":
        if spec["min_items"] is not None and len(typed) < spec["min_items"]:
            raise SchemaError("%s: at least %d items are required, %d given." % (where, spec["min_items"], len(typed)))
        if spec["max_items"] is not None and len(typed) > spec["max_items"]:
            raise SchemaError("%s: at most %d items are allowed, %d given." % (where, spec["max_items"], len(typed)))
        if spec["items"] is not None:
            for index, item in enumerate(typed):
                check_value(spec["items"], item, "%s[%d]" % (where, index))
    if spec["type"] == "Map" and spec["keys"] is not None:
        check_properties(spec["keys"], typed, where)


def check_properties(schema, given, where):
    """Names, required properties and values of one Properties mapping (or documented Map)."""
    for name in given:
        if name not in schema:
            raise SchemaError("%s: Unknown Property %s." % (where, name))
    for name, spec in schema.items():
        if spec["required"] and name not in given:
            raise SchemaError("%s: Property %s not assigned." % (where, name))
    for name, value in given.items():
        check_value(schema[name], value, "%s.%s" % (where, name))


def _walk_getatts(node, found):
    if isinstance(node, dict):
        for key, val in node.items():
            if key == "Fn::GetAtt":
                found.append(val)
            _walk_getatts(val, found)
    elif isinstance(node, list):
        for item in node:
            _walk_getatts(item, found)
    return found


def validate_template(doc):
    """Check every resource of a parsed template against its type's documented schema.

    Raises SchemaError with a reason naming the resource and the property, as ROS's
    StackValidationFailed does. Resource types we have no schema for are refused too: the
    stand-in would otherwise pass anything for them.
    """
    resources = doc.get("Resources") or {}
    for logical, res in resources.items():
        extra = sorted(set(res) - RESOURCE_KEYS)
        if extra:
            raise SchemaError("Resources.%s: Unknown resource key %s (allowed: %s)."
                              % (logical, extra[0], ", ".join(sorted(RESOURCE_KEYS))))
        rtype = res["Type"]
        schema = SCHEMAS.get(rtype)
        if schema is None:
            raise SchemaError("Resources.%s: the resource type %s is not supported by this stand-in."
                              % (logical, rtype))
        given = res.get("Properties") or {}
        if not isinstance(given, dict):
            raise SchemaError("Resources.%s.Properties: must be a map." % logical)
        check_properties(schema["properties"], given, "Resources.%s.Properties" % logical)
        ranges = schema.get("adjustment_ranges")
        kind, value = given.get("AdjustmentType"), given.get("AdjustmentValue")
        if ranges and kind in ranges and value is not None and not is_function(value):
            low, high = ranges[kind]
            if not low <= int(value) <= high:
                raise SchemaError("Resources.%s.Properties.AdjustmentValue: %s is out of range (min: %s, max: %s) "
                                  "for AdjustmentType %s." % (logical, value, low, high, kind))
    for section in ("Resources", "Outputs"):
        for target in _walk_getatts(doc.get(section), []):
            if not (isinstance(target, list) and len(target) == 2 and isinstance(target[0], str)
                    and isinstance(target[1], str)):
                raise SchemaError("%s: Fn::GetAtt takes [resource, attribute], got %s." % (section, _describe(target)))
            logical, attribute = target
            if logical not in resources:
                raise SchemaError("%s: Fn::GetAtt of %s, which is not a resource of the template." % (section, logical))
            documented = SCHEMAS[resources[logical]["Type"]]["attributes"]
            if attribute not in documented:
                raise SchemaError("The Referenced Attribute (%s %s) is incorrect: %s documents %s."
                                  % (logical, attribute, resources[logical]["Type"],
                                     ", ".join(documented) or "no attributes"))


def counts():
    """(resource types, documented top-level properties) covered by the schemas."""
    return len(SCHEMAS), sum(len(s["properties"]) for s in SCHEMAS.values())
