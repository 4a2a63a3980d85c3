# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import (
    MongoUrlError,
    build_mongo_url,
    canonical_mongo_url,
    normalize_for_change_server_mode,
    normalize_options,
    parse_mongo_url,
    redact_mongo_url,
    split_host_port,
)

SPECIAL_PASSWORDS = [
    "p@ss", "pa:ss", "pa/ss", "pa?ss", "pa#ss", "pa%ss", "pa&ss", "p@:/?#%&s", "%41",
    "a b", "ümlaut€", "[x]", "=;+,",
]


@pytest.mark.parametrize("password", SPECIAL_PASSWORDS)
def test_special_characters_in_password_round_trip(password):
    url = build_mongo_url(["db1"], user="ams", password=password).render()
    assert password not in url.split("@")[0].split(":", 2)[-1] or password.isalnum()
    parsed = parse_mongo_url(url)
    assert parsed.password == password
    assert parsed.user == "ams"
    assert parsed.hosts == [("db1", None)]
    # Encoded userinfo holds only characters no shell, sed or properties file misreads.
    userinfo = url[len("mongodb://"):url.rindex("@")]
    assert set(userinfo) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~%:")


@pytest.mark.parametrize("user", ["ad@min", "a:b", "x/y", "%"])
def test_special_characters_in_user(user):
    url = build_mongo_url(["h"], user=user, password="p").render()
    assert parse_mongo_url(url).user == user


def test_build_replica_set_with_options_sorted():
    url = build_mongo_url(
        ["db1", "db2:27018", "::1", "[fe80::1]:27019"], port=27017, user="ams", password="pw",
        auth_source="admin", replica_set="rs0", tls=True,
        options={"retrywrites": False, "w": "majority", "maxPoolSize": 50},
    ).render()
    assert url == ("mongodb://ams:pw@db1:27017,db2:27018,[::1]:27017,[fe80::1]:27019/"
                   "?authSource=admin&maxPoolSize=50&replicaSet=rs0&retryWrites=false&tls=true&w=majority")


def test_build_without_credentials_or_options():
    assert build_mongo_url("10.0.0.5").render() == "mongodb://10.0.0.5"
    assert build_mongo_url(["10.0.0.5"], port=27017).render() == "mongodb://10.0.0.5:27017"


def test_build_with_database():
    assert build_mongo_url(["h"], database="serverdb").render() == "mongodb://h/serverdb"


def test_srv_url():
    url = build_mongo_url(["cluster0.abc.mongodb.net"], user="u", password="p", srv=True,
                          tls=True).render()
    assert url == "mongodb+srv://u:p@cluster0.abc.mongodb.net/?tls=true"
    assert parse_mongo_url(url).srv


@pytest.mark.parametrize("kwargs, message", [
    (dict(hosts=["a.example.com", "b.example.com"], srv=True), "exactly one host"),
    (dict(hosts=["c0.example.com:27017"], srv=True), "must not have a port"),
    (dict(hosts=["c0.example.com"], port=27017, srv=True), "must not have a port"),
    (dict(hosts=["10.0.0.1"], srv=True), "DNS name"),
    (dict(hosts=["example.com"], srv=True), "three name parts"),
    (dict(hosts=[]), "at least one"),
    (dict(hosts=[""]), "empty host"),
    (dict(hosts=["a b"]), "not a valid host"),
    (dict(hosts=["h"], port=0), "1 to 65535"),
    (dict(hosts=["h"], port=70000), "1 to 65535"),
    (dict(hosts=["h:abc"]), "1 to 65535"),
    (dict(hosts=["h:"]), "1 to 65535"),
    (dict(hosts=["[::1"]), "unclosed"),
    (dict(hosts=["[zz::1]"]), "IPv6"),
    (dict(hosts=["999.1.1.1"]), "IPv4"),
    (dict(hosts=["-bad.example.com"]), "not a valid host"),
    (dict(hosts=["h", "h"]), "twice"),
    (dict(hosts=["h"], password="p"), "needs a database user"),
    (dict(hosts=["h"], user=""), "must not be empty"),
    (dict(hosts=["h"], user="u", password="a\nb"), "control characters"),
    (dict(hosts=["h"], options={"bogus": 1}), "unknown MongoDB connection option"),
    (dict(hosts=["h"], options={"tls": "maybe"}), "true or false"),
    (dict(hosts=["h"], options={"maxPoolSize": "many"}), "integer"),
    (dict(hosts=["h"], options={"replicaSet": ""}), "needs a value"),
    (dict(hosts=["h"], replica_set="rs0", options={"replicaSet": "rs1"}), "both"),
    (dict(hosts=["h"], options={"tls": True, "ssl": False}), "disagree"),
    (dict(hosts=["h"], database="a.b"), "forbids"),
])
def test_build_refuses(kwargs, message):
    with pytest.raises(MongoUrlError, match=message):
        build_mongo_url(**kwargs)


def test_error_messages_never_contain_the_password():
    secret = "Sup3r-S3cret"
    for url in ("mongodb://u:%s@h:99999" % secret, "mongodb://u:%s/x@h" % secret,
                "mongodb://u:%s@@h" % secret, "mongodb://u:%s@h/?bogus=1" % secret,
                "mongodb://u:%s:x@h" % secret, "mongodb://u:%s%%zz@h" % secret):
        with pytest.raises(MongoUrlError) as info:
            parse_mongo_url(url)
        assert secret not in str(info.value)


@pytest.mark.parametrize("url, hosts", [
    ("mongodb://h", [("h", None)]),
    ("mongodb://h:1", [("h", 1)]),
    ("mongodb://a,b:2,[::1]:3,[2001:db8::5]", [("a", None), ("b", 2), ("::1", 3), ("2001:db8::5", None)]),
    ("MONGODB://H.Example.com/", [("H.Example.com", None)]),
])
def test_parse_hosts(url, hosts):
    assert parse_mongo_url(url).hosts == hosts


def test_parse_everything():
    parsed = parse_mongo_url("mongodb://us%40er:p%3Aw%2F@a:1,b:2/db?replicaset=rs0&AUTHSOURCE=admin&tls=TRUE")
    assert parsed.user == "us@er"
    assert parsed.password == "p:w/"
    assert parsed.database == "db"
    assert parsed.options == {"replicaSet": "rs0", "authSource": "admin", "tls": "true"}
    assert parsed.render() == "mongodb://us%40er:p%3Aw%2F@a:1,b:2/db?authSource=admin&replicaSet=rs0&tls=true"


def test_user_without_password():
    assert parse_mongo_url("mongodb://user@h").render() == "mongodb://user@h"
    assert redact_mongo_url("mongodb://user@h") == "mongodb://user@h"


@pytest.mark.parametrize("url, message", [
    ("", "empty"),
    ("   ", "empty"),
    (" mongodb://h", "white space"),
    ("mongodb://h h", "white space"),
    ("redis://h:6379", "Redis URL"),
    ("http://h", "unsupported URL scheme"),
    ("h:27017", "must start with"),
    ("mongodb://", "no host"),
    ("mongodb://u:p@", "no host"),
    ("mongodb://a,,b", "empty host"),
    ("mongodb://h?tls=true", "must follow a '/'"),
    ("mongodb://h/#x", "'#'"),
    ("mongodb://u:p@ss@h", "percent-encoded as %40"),
    ("mongodb://u:a:b@h", "percent-encoded as %3A"),
    ("mongodb://u:a/b@h", "percent-encoded as %2F"),
    ("mongodb://u:a%zz@h", "not a percent-encoding"),
    ("mongodb://h/?tls", "has no value"),
    ("mongodb://h/?tls=true&tls=false", "given twice"),
    ("mongodb://h:0", "1 to 65535"),
    ("mongodb+srv://a.b.c,d.e.f", "exactly one host"),
    ("mongodb+srv://a.b.c/?directConnection=true", "directConnection"),
])
def test_parse_refuses(url, message):
    with pytest.raises(MongoUrlError, match=message):
        parse_mongo_url(url)


def test_redacted_form():
    url = build_mongo_url(["a", "b"], user="ams", password="p@:/?#%&s", replica_set="rs0",
                          options={"tlsCertificateKeyFilePassword": "kp"}).render()
    redacted = redact_mongo_url(url)
    assert redacted == "mongodb://ams:****@a,b/?replicaSet=rs0&tlsCertificateKeyFilePassword=****"
    assert "kp" not in redacted.replace("Key", "")


@pytest.mark.parametrize("text", [
    "mongodb://u:secret@h:bad", "mongodb://u:secret@@h", "weird://u:secret@h/x",
])
def test_redact_unparseable_input_still_hides_credentials(text):
    assert "secret" not in redact_mongo_url(text)


def test_redact_none_and_plain():
    assert redact_mongo_url(None) is None
    assert redact_mongo_url("localhost") == "localhost"


def test_canonical_is_stable():
    url = "mongodb://h/?w=majority&authSource=admin"
    assert canonical_mongo_url(url) == "mongodb://h/?authSource=admin&w=majority"
    assert canonical_mongo_url(canonical_mongo_url(url)) == canonical_mongo_url(url)


@pytest.mark.parametrize("value, expected", [
    ("10.0.0.5", "mongodb://10.0.0.5"),
    ("10.0.0.5:27017", "mongodb://10.0.0.5:27017"),
    ("mongo1", "mongodb://mongo1"),
    ("db.internal", "mongodb://db.internal"),           # the script would read this as a Redis file
    ("localhost", "mongodb://localhost"),
    ("::1", "mongodb://[::1]"),
    ("[::1]:27017", "mongodb://[::1]:27017"),
    ("a,b:27018", "mongodb://a,b:27018"),
    ("mongodb://u:p%40@h", "mongodb://u:p%40@h"),
    ("mongodb+srv://c0.example.com/?tls=true", "mongodb+srv://c0.example.com/?tls=true"),
])
def test_normalize_for_change_server_mode(value, expected):
    assert normalize_for_change_server_mode(value) == expected


@pytest.mark.parametrize("value, message", [
    ("", "empty"),
    (None, "empty"),
    ("10.0.0.5 ", "white space"),
    ("a b", "white space"),
    ("redis://r:6379", "Redis URL"),
    ("/etc/redis.conf", "file path"),
    ("./redis.conf", "file path"),
    ("user:pw@host", "full mongodb:// URL"),
    ("host/db", "full mongodb:// URL"),
    ("host:99999", "1 to 65535"),
    ("host:", "1 to 65535"),
    ("bad_host!", "not a valid host"),
])
def test_normalize_refuses(value, message):
    with pytest.raises(MongoUrlError, match=message):
        normalize_for_change_server_mode(value)


def test_split_host_port_default():
    assert split_host_port("h", 27017) == ("h", 27017)
    assert split_host_port("h:1", 27017) == ("h", 1)


def test_normalize_options_canonical_names_and_bools():
    assert normalize_options({"RETRYWRITES": True, "readpreference": "secondary"}) == {
        "retryWrites": "true", "readPreference": "secondary"}


def test_to_dict_leaves_password_out():
    data = parse_mongo_url("mongodb://u:pw@h/?tlsCertificateKeyFilePassword=x").to_dict()
    assert "password" not in data
    assert data["options"]["tlsCertificateKeyFilePassword"] == "****"
