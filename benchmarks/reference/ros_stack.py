"""Reference for the benchmark's Alibaba stack: the plain ROS call sequence a user would write
with Alibaba's Python SDK (alibabacloud_ros20190910), no collection code.

    ros_stack.py apply|delete   < {"name", "region", "endpoint", "template", "parameters", "tags",
                                   "poll_interval", "timeout"}   (JSON on stdin)

apply: ListStacks by name -> CreateStack, or UpdateStack (ROS answers NotSupported when
nothing changed) -> GetStack until the stack leaves *_IN_PROGRESS. delete: ListStacks ->
DeleteStack -> GetStack until it is gone. Prints {"changed", "status", "outputs"} as JSON.
Credentials: ALIBABA_CLOUD_ACCESS_KEY_ID / ALIBABA_CLOUD_ACCESS_KEY_SECRET.
"""
import json
import os
import sys
import time

from alibabacloud_ros20190910 import models
from alibabacloud_ros20190910.client import Client
from alibabacloud_tea_openapi import models as openapi_models


def client(spec):
    endpoint = spec.get("endpoint") or ""
    config = openapi_models.Config(
        access_key_id=os.environ["ALIBABA_CLOUD_ACCESS_KEY_ID"],
        access_key_secret=os.environ["ALIBABA_CLOUD_ACCESS_KEY_SECRET"],
        region_id=spec["region"])
    if endpoint:
        config.protocol, _sep, config.endpoint = endpoint.rpartition("://")
        config.protocol = config.protocol or "https"
    return Client(config)


def find(ros, spec):
    stacks = ros.list_stacks(models.ListStacksRequest(
        region_id=spec["region"], stack_name=[spec["name"]])).body.to_map().get("Stacks") or []
    return next((s for s in stacks if s.get("StackName") == spec["name"]), None)


def wait(ros, spec, stack_id, gone_ok=False):
    deadline = time.monotonic() + spec.get("timeout", 3600)
    while True:
        try:
            stack = ros.get_stack(models.GetStackRequest(region_id=spec["region"], stack_id=stack_id)).body.to_map()
        except Exception as exc:  # the SDK raises TeaException; a deleted stack is StackNotFound
            if gone_ok and "StackNotFound" in str(getattr(exc, "code", "")) + str(exc):
                return None
            raise
        if not stack["Status"].endswith("_IN_PROGRESS"):
            return stack
        if time.monotonic() > deadline:
            raise SystemExit("stack %s still %s" % (spec["name"], stack["Status"]))
        time.sleep(spec.get("poll_interval", 5))


def apply(ros, spec):
    parameters = sorted(spec["parameters"].items())
    tags = sorted(spec.get("tags", {}).items())
    existing = find(ros, spec)
    if existing is None:
        stack_id = ros.create_stack(models.CreateStackRequest(
            region_id=spec["region"], stack_name=spec["name"], template_body=spec["template"],
            parameters=[models.CreateStackRequestParameters(parameter_key=k, parameter_value=v) for k, v in parameters],
            tags=[models.CreateStackRequestTags(key=k, value=v) for k, v in tags],
            timeout_in_minutes=60)).body.stack_id
        changed = True
    else:
        stack_id = existing["StackId"]
        try:
            ros.update_stack(models.UpdateStackRequest(
                region_id=spec["region"], stack_id=stack_id, template_body=spec["template"],
                parameters=[models.UpdateStackRequestParameters(parameter_key=k, parameter_value=v)
                            for k, v in parameters],
                tags=[models.UpdateStackRequestTags(key=k, value=v) for k, v in tags]))
            changed = True
        except Exception as exc:
            if "NotSupported" not in str(getattr(exc, "code", "")) + str(exc):
                raise
            changed = False
    stack = wait(ros, spec, stack_id) if changed else ros.get_stack(
        models.GetStackRequest(region_id=spec["region"], stack_id=stack_id)).body.to_map()
    if not stack["Status"].endswith("_COMPLETE") or "ROLLBACK" in stack["Status"]:
        raise SystemExit("stack %s ended %s: %s" % (spec["name"], stack["Status"], stack.get("StatusReason")))
    outputs = dict((o["OutputKey"], o.get("OutputValue")) for o in stack.get("Outputs") or [])
    return dict(changed=changed, status=stack["Status"], outputs=outputs)


def delete(ros, spec):
    existing = find(ros, spec)
    if existing is None:
        return dict(changed=False, status=None, outputs={})
    ros.delete_stack(models.DeleteStackRequest(region_id=spec["region"], stack_id=existing["StackId"]))
    wait(ros, spec, existing["StackId"], gone_ok=True)
    return dict(changed=True, status="DELETE_COMPLETE", outputs={})


def main():
    spec = json.load(sys.stdin)
    action = {"apply": apply, "delete": delete}[sys.argv[1]]
    print(json.dumps(action(client(spec), spec)))


if __name__ == "__main__":
    main()
