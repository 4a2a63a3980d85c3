"""Unit tests for module_utils/aws/converger.py: result helpers and the steps of a run."""
import pytest

import fake_module
from fake_module import Exited

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import converger as aws


def test_snake_dict_keeps_tag_keys():
    result = aws.snake_dict({"ImageId": "ami-1", "Tags": [{"Key": "MyTag", "Value": "v"}],
                             "BlockDeviceMappings": [{"DeviceName": "/dev/sda1"}]})
    assert result == {"image_id": "ami-1", "tags": {"MyTag": "v"},
                      "block_device_mappings": [{"device_name": "/dev/sda1"}]}


def test_ensure_dict_diff():
    assert aws.ensure_dict_diff(None, {"a": 1}) == {"before": {}, "after": {"a": 1}}
    assert aws.ensure_dict_diff({"a": 1}, None, "x") == {"before": {"a": 1}, "after": {}, "before_header": "x"}


# --- the steps of a run --------------------------------------------------------------------------

class FakeModule(fake_module.FakeModule):
    def __init__(self, check_mode=False, diff_mode=True, **params):
        super(FakeModule, self).__init__(dict(dict(state="present", deployment="d1", tags={}), **params),
                                         check_mode=check_mode, diff_mode=diff_mode)


class Thing(aws.Converger):
    """Writes one object; each step leaves a trace."""

    def __init__(self, module, valid=True, fail_in_apply=None):
        super(Thing, self).__init__(module)
        self.valid = valid
        self.fail_in_apply = fail_in_apply
        self.steps = []
        self.writes = []

    def validate(self):
        self.steps.append("validate")
        if not self.valid:
            raise aws.ConvergeError("size: must be at least 1, got 0")

    def read(self):
        self.steps.append("read")
        self.before = {"size": 1}

    def plan(self):
        self.steps.append("plan")
        self.after = {"size": 2}

    def apply(self):
        self.steps.append("apply")
        if self.change("resize to 2"):
            if self.fail_in_apply:
                raise self.fail_in_apply
            self.writes.append("resize")

    def report(self):
        self.steps.append("report")
        return {"size": 2}


def run(converger):
    with pytest.raises(Exited):
        converger.run()
    return converger.module


def test_steps_run_in_order_and_report_changed_changes_diff():
    thing = Thing(FakeModule())
    module = run(thing)
    assert thing.steps == ["validate", "read", "plan", "apply", "report"]
    assert thing.writes == ["resize"]
    assert module.result == {"size": 2, "changed": True, "changes": ["resize to 2"],
                             "diff": {"before": {"size": 1}, "after": {"size": 2}}}


def test_invalid_input_fails_before_anything_is_read():
    thing = Thing(FakeModule(), valid=False)
    module = run(thing)
    assert thing.steps == ["validate"]
    assert module.failed == {"msg": "size: must be at least 1, got 0", "changes": []}


def test_check_mode_plans_the_same_changes_without_writing():
    thing = Thing(FakeModule(check_mode=True))
    module = run(thing)
    assert thing.writes == []
    assert module.result["changed"] is True and module.result["changes"] == ["resize to 2"]


def test_aws_error_fails_with_the_changes_so_far():
    from botocore.exceptions import ClientError
    error = ClientError({"Error": {"Code": "AccessDenied", "Message": "no"}}, "ModifyThing")
    module = run(Thing(FakeModule(), fail_in_apply=error))
    assert module.failed["msg"] == "AWS object: AWS call failed after 1 change(s) ['resize to 2']: ClientError"


def test_refuse_foreign_names_the_tag():
    thing = Thing(FakeModule())
    thing.refuse_foreign("group", "web", {aws.DEPLOYMENT_TAG: "d1"})
    with pytest.raises(aws.ConvergeError, match="streamfleet:deployment=d1"):
        thing.refuse_foreign("group", "web", {aws.DEPLOYMENT_TAG: "other"})


def test_every_aws_module_is_a_converger_over_the_shared_session():
    import importlib
    from pathlib import Path
    modules = sorted(Path(aws.__file__).resolve().parents[2].glob("modules/aws_*.py"))
    assert len(modules) >= 9
    for path in modules:
        module = importlib.import_module("ansible_collections.streamfleet.cluster.plugins.modules." + path.stem)
        convergers = [v for v in vars(module).values()
                      if isinstance(v, type) and issubclass(v, aws.Converger) and v is not aws.Converger]
        assert convergers, "%s has no Converger subclass" % path.stem
        source = path.read_text()
        # run() directly, or through run_each (one object or a list of them in one task)
        assert "StreamfleetAWSModule(" in source and (".run()" in source or "run_each(" in source), path.stem
        assert "_make_api_call" not in source, path.stem
