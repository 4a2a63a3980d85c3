"""Unit tests for run_each (module_utils/aws/converger.py): several objects of a kind in one task."""
import pytest

import fake_module
from fake_module import Exited

from ansible_collections.streamfleet.cluster.plugins.module_utils.aws import converger as aws

ENTRY_SPEC = dict(
    name=dict(type="str", required=True),
    size=dict(type="int", default=1),
    secret=dict(type="str", no_log=True),
    state=dict(type="str", default="present", choices=["present", "absent"]),
)


class FakeModule(fake_module.FakeModule):
    def __init__(self, check_mode=False, diff_mode=True, **params):
        super(FakeModule, self).__init__(dict(dict(deployment="d1", region="r1", name=None, size=1, secret=None,
                                                   state="present", things=None), **params),
                                         check_mode=check_mode, diff_mode=diff_mode)


class Thing(aws.Converger):
    """Changes when size differs from 1; fails on size 13; records what it saw."""

    seen = []

    def describe(self):
        return "Thing %s" % self.params["name"]

    def read(self):
        Thing.seen.append((self.params["name"], self.params["size"], self.params["region"]))
        self.before = {"size": 1}

    def apply(self):
        if self.params["size"] == 13:
            raise aws.ConvergeError("size 13 is unlucky")
        if self.params["size"] != 1 and self.change("resize %s to %d" % (self.params["name"], self.params["size"])):
            pass
        self.after = {"size": self.params["size"]}
        self.result = {"name": self.params["name"]}


def run(module, required_if=None):
    Thing.seen = []
    with pytest.raises(Exited):
        aws.run_each(module, Thing, "things", ENTRY_SPEC, required_if=required_if)
    return module


def test_single_form_is_the_converger_alone():
    module = run(FakeModule(name="solo", size=2))
    assert module.result["name"] == "solo" and module.result["changes"] == ["resize solo to 2"]
    assert "results" not in module.result


def test_entries_inherit_the_task_options_and_report_in_order():
    module = run(FakeModule(size=3, things=[{"name": "one"}, {"name": "two", "size": "1"}]))
    assert Thing.seen == [("one", 3, "r1"), ("two", 1, "r1")]  # "1" converted as the spec says
    assert module.result["changed"] is True
    assert [r["name"] for r in module.result["results"]] == ["one", "two"]
    assert [r["changed"] for r in module.result["results"]] == [True, False]
    assert module.result["changes"] == ["one: resize one to 3"]
    assert [d["after"] for d in module.result["diff"]] == [{"size": 3}, {"size": 1}]


@pytest.mark.parametrize("entries, message", [
    ([{"name": "one"}, {"name": "two", "bogus": 1}], "things[1]: bogus. Supported parameters include"),
    ([{"name": "one"}, {"size": 2}], "things[1]: missing required arguments: name"),
    ([{"name": "one"}, {"name": "two", "state": "gone"}], "things[1]: value of state must be one of"),
    ([{"name": "one"}, {"name": "two", "size": "many"}], "things[1]: "),
])
def test_a_bad_entry_fails_before_any_entry_runs(entries, message):
    module = run(FakeModule(things=entries))
    assert message in module.failed["msg"] and module.failed["changes"] == []
    assert Thing.seen == []


def test_required_if_on_the_merged_options():
    required_if = [("state", "present", ["secret"])]
    assert run(FakeModule(secret="s3cr3t-value", things=[{"name": "one"}]), required_if).result["changed"] is False
    module = run(FakeModule(things=[{"name": "one", "secret": "x"}, {"name": "two"}]), required_if)
    assert module.failed["msg"] == "things[1]: state is present but all of the following are missing: secret"
    assert Thing.seen == []


def test_entry_secrets_join_the_masked_values():
    module = run(FakeModule(things=[{"name": "one", "secret": "hush-1234"}]))
    assert "hush-1234" in module.no_log_values


def test_a_failing_entry_names_what_converged_before_it():
    module = run(FakeModule(things=[{"name": "one", "size": 2}, {"name": "two", "size": 13}, {"name": "three"}]))
    assert module.failed["msg"] == "Thing two: size 13 is unlucky (entries converged before it: one (changed))"
    assert [r["name"] for r in module.failed["results"]] == ["one"]
    assert [name for name, _size, _region in Thing.seen] == ["one", "two"]


def test_relaxed_spec_requires_nothing_and_keeps_defaults():
    relaxed = aws.relaxed_spec(ENTRY_SPEC)
    assert not any(option.get("required") for option in relaxed.values())
    assert relaxed["size"]["default"] == 1 and ENTRY_SPEC["name"]["required"] is True


class Listing(Thing):
    """Reads a shared listing first (Converger.first_read) and records what it got."""

    reads = []
    got = []

    def read(self):
        def listing():
            Listing.reads.append(self.params["name"])
            return "listing %d" % len(Listing.reads)
        Listing.got.append((self.params["name"], self.first_read(("svc", "all"), listing), self.sibling_names()))
        super(Listing, self).read()


@pytest.mark.parametrize("check_mode", [False, True])
def test_entries_share_a_first_read_until_one_changes(check_mode):
    Listing.reads, Listing.got = [], []
    module = FakeModule(check_mode=check_mode, things=[{"name": "a"}, {"name": "b", "size": 2}, {"name": "c"},
                                                       {"name": "d"}])
    with pytest.raises(Exited):
        aws.run_each(module, Listing, "things", ENTRY_SPEC)
    names = ["a", "b", "c", "d"]
    if check_mode:  # nothing was changed, so one listing serves every entry
        assert Listing.got == [(n, "listing 1", names) for n in names]
    else:  # b changed something: c reads again, and d shares c's
        assert Listing.got == [("a", "listing 1", names), ("b", "listing 1", names),
                               ("c", "listing 2", names), ("d", "listing 2", names)]


def test_the_single_form_reads_for_itself():
    Listing.reads, Listing.got = [], []
    module = FakeModule(name="solo")
    with pytest.raises(Exited):
        aws.run_each(module, Listing, "things", ENTRY_SPEC)
    assert Listing.got == [("solo", "listing 1", ["solo"])]
