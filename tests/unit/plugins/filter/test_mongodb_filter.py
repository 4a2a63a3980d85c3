# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest
from ansible.module_utils import _internal as module_utils_internal

# A filter plugin is controller code: importing it (ansible.errors) marks the whole process as
# the controller, after which module warnings are printed instead of returned, and the
# in-process module tests that run later in the same pytest process would miss them. The mark
# is only set at import time, so put it back once the plugin is imported.
_WAS_CONTROLLER = module_utils_internal.is_controller
from ansible.errors import AnsibleFilterError  # noqa: E402

from ansible_collections.streamfleet.cluster.plugins.filter.mongodb import (  # noqa: E402
    FilterModule,
    mongodb_url_filter,
    mongodb_url_redact_filter,
)

module_utils_internal.is_controller = _WAS_CONTROLLER
from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import (
    mongodb_url,
    parse_mongo_url,
)

# Every character the issue names, alone and together, plus a few that break shells and sed.
HOSTILE_PASSWORDS = [
    "@", ":", "/", "?", "#", "[", "]", "%", "&", "+", " ", "a b",
    "@:/?#[]%&+ ", "p@ss:w/rd?x#y[z]%25&a+b c", "%41%2F", "100%", "'\"$`\\|;<>*",
    "ümlaut€", "=;,", "end ",
]
UNRESERVED = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%")


@pytest.mark.parametrize("password", HOSTILE_PASSWORDS)
def test_hostile_password_is_encoded_and_round_trips(password):
    url = mongodb_url_filter(["10.0.0.1", "10.0.0.2"], user="antmedia", password=password,
                             replica_set="rs0", auth_source="admin")
    userinfo = url[len("mongodb://"):url.rindex("@")]
    user_part, password_part = userinfo.split(":")
    # Only unreserved characters and percent escapes: nothing a parser, shell or sed misreads.
    assert set(password_part) <= UNRESERVED
    parsed = parse_mongo_url(url)
    assert (parsed.user, parsed.password) == ("antmedia", password)
    assert parsed.hosts == [("10.0.0.1", 27017), ("10.0.0.2", 27017)]
    assert parsed.options == {"replicaSet": "rs0", "authSource": "admin"}
    assert parsed.render() == url


@pytest.mark.parametrize("user", ["ad@min", "a:b", "x/y", "%", "a b", "+"])
def test_hostile_user_round_trips(user):
    url = mongodb_url_filter("h", user=user, password="p")
    assert parse_mongo_url(url).user == user


def test_exact_encoding_of_the_issue_characters():
    url = mongodb_url_filter(["h"], user="u", password="@:/?#[]%&+ ")
    assert url == "mongodb://u:%40%3A%2F%3F%23%5B%5D%25%26%2B%20@h:27017"


def test_suggested_shape():
    url = mongodb_url_filter(["h1", "h2"], user="user", password="pass", replica_set="rs",
                             auth_source="admin", database="db")
    assert url == "mongodb://user:pass@h1:27017,h2:27017/db?authSource=admin&replicaSet=rs"


@pytest.mark.parametrize("hosts, kwargs, expected", [
    ("db.internal", {}, "mongodb://db.internal:27017"),
    ("a,b:27018", {}, "mongodb://a:27017,b:27018"),
    (["a", "b:27018"], dict(port=27100), "mongodb://a:27100,b:27018"),
    (["::1", "[fd00::5]:27018", "fe80::1"], {}, "mongodb://[::1]:27017,[fd00::5]:27018,[fe80::1]:27017"),
    (["h"], dict(port="27019"), "mongodb://h:27019"),
    (["h"], dict(user="", password=""), "mongodb://h:27017"),
    (["h"], dict(user="ro"), "mongodb://ro@h:27017"),
    (["h"], dict(tls=True, options={"retrywrites": False, "W": "majority"}),
     "mongodb://h:27017/?retryWrites=false&tls=true&w=majority"),
    (["h"], dict(tls=False), "mongodb://h:27017/?tls=false"),
    (["h"], dict(database="serverdb"), "mongodb://h:27017/serverdb"),
    ("cluster0.abc.example.net", dict(srv=True, user="u", password="p@", tls=True),
     "mongodb+srv://u:p%40@cluster0.abc.example.net/?tls=true"),
])
def test_shapes(hosts, kwargs, expected):
    assert mongodb_url_filter(hosts, **kwargs) == expected
    assert mongodb_url(hosts, **kwargs) == expected


@pytest.mark.parametrize("hosts, kwargs, message", [
    ([], {}, "at least one"),
    (["h", "h:27017"], {}, "twice"),
    (["h"], dict(password="secret-pw"), "needs a database user"),
    (["cluster0.abc.example.net"], dict(srv=True, port=27017), "must not have a port"),
    (["a.b.example.net", "c.d.example.net"], dict(srv=True), "exactly one host"),
    (["10.0.0.1"], dict(srv=True), "DNS name"),
    (["h"], dict(port=0), "1 to 65535"),
    (["h"], dict(options={"replicaset": "rs1"}, replica_set="rs0"), "both"),
    (["h"], dict(options={"bogus": 1}), "unknown MongoDB connection option"),
    (["h h"], {}, "not a valid host"),
    (["h"], dict(user="u", password="line\nbreak-secret"), "control characters"),
])
def test_bad_input_fails_with_a_filter_error_without_the_password(hosts, kwargs, message):
    with pytest.raises(AnsibleFilterError, match=message) as info:
        mongodb_url_filter(hosts, **kwargs)
    assert "secret" not in str(info.value)
    assert str(info.value).startswith("mongodb_url: ")


def test_redact_filter():
    url = mongodb_url_filter(["a"], user="ams", password="@:/?#[]%&+ ",
                             options={"tlsCertificateKeyFilePassword": "kp-secret"})
    shown = mongodb_url_redact_filter(url)
    assert shown == "mongodb://ams:****@a:27017/?tlsCertificateKeyFilePassword=****"
    assert mongodb_url_redact_filter(None) is None
    assert "secret" not in mongodb_url_redact_filter("weird://u:secret@h")


def test_registered_names():
    assert set(FilterModule().filters()) == {"mongodb_url", "mongodb_url_redact"}


def test_through_ansible_with_fqcn(playbook):
    # The way templates and roles call it: FQCN, values from (vaulted or templated) variables.
    results = playbook.run([
        {"name": "build", "ansible.builtin.set_fact": {
            "url": "{{ db_hosts | streamfleet.cluster.mongodb_url(user='antmedia',"
                   " password=db_password, replica_set='rs0') }}"}},
        {"name": "redact", "ansible.builtin.set_fact": {
            "shown": "{{ url | streamfleet.cluster.mongodb_url_redact }}"}},
    ], play_vars={"db_hosts": ["10.0.1.10", "10.0.2.10"], "db_password": "p@ss w/rd&+"})
    assert results[0]["ansible_facts"]["url"] == (
        "mongodb://antmedia:p%40ss%20w%2Frd%26%2B@10.0.1.10:27017,10.0.2.10:27017/?replicaSet=rs0")
    assert results[1]["ansible_facts"]["shown"] == (
        "mongodb://antmedia:****@10.0.1.10:27017,10.0.2.10:27017/?replicaSet=rs0")


def test_bad_input_fails_the_task_without_the_password(playbook):
    playbook.run([{"name": "build", "ansible.builtin.set_fact": {
        "url": "{{ ['h'] | streamfleet.cluster.mongodb_url(password='hush-secret') }}"}}],
        expect_failure=True)
    assert "needs a database user" in playbook.last_output
    assert "hush-secret" not in playbook.last_output.replace("password='hush-secret'", "")


def test_hosts_must_be_a_list_or_string():
    with pytest.raises(AnsibleFilterError, match="list or a string"):
        mongodb_url_filter({"h": 1})
