"""Unit tests of plugins/module_utils/properties.py."""
import random
from pathlib import Path

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.properties import (
    PropertiesDocument,
    detect_newline,
    escape_key,
    escape_value,
    unescape,
)

TREES = Path(__file__).resolve().parents[3] / "standins" / "trees"
SAMPLES = [
    TREES / "wcs" / "conf" / "flashphoner.properties",
    TREES / "red5pro_streammanager" / "webapps" / "streammanager" / "WEB-INF" / "red5-web.properties",
]

ODD = (
    "# comment\n"
    "! bang comment\n"
    "\n"
    "   \t\n"
    "a=1\n"
    "b = 2\n"
    "c:3\n"
    "d : 4\n"
    "e 5\n"
    "f\t6\n"
    "  indented = 7\n"
    "empty=\n"
    "bare\n"
    "key\\ with\\ spaces = v\n"
    "k\\:colon\\=eq = v2\n"
    "uni = caf\\u00e9 \\u0041\n"
    "lead = \\  two spaces\n"
    "trail = x  \n"
    "path = C:\\\\dir\\\\file\n"
    "url = http\\://h\\:1/a?b=1&c=2\n"
    "multi = one,\\\n"
    "        two,\\\n"
    "        three\n"
    "even = ends with backslash\\\\\n"
    "after = ok\n"
)


def parse(text):
    return PropertiesDocument.parse(text)


@pytest.mark.parametrize("text", [
    ODD,
    ODD.replace("\n", "\r\n"),
    ODD.rstrip("\n"),
    "",
    "\n",
    "# only a comment",
    "k=v\\",
    "a=1\rb=2\r",
    "latin=\udce9\n",
])
def test_untouched_documents_render_byte_for_byte(text):
    assert parse(text).render() == text


@pytest.mark.parametrize("path", SAMPLES, ids=lambda p: p.name)
def test_sample_trees_round_trip(path):
    text = path.read_bytes().decode("utf-8", "surrogateescape")
    assert parse(text).render() == text


def test_reads_like_java():
    doc = parse(ODD)
    assert doc.items() == {
        "a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6", "indented": "7",
        "empty": "", "bare": "", "key with spaces": "v", "k:colon=eq": "v2",
        "uni": "caf\u00e9 A", "lead": "  two spaces", "trail": "x  ",
        "path": "C:\\dir\\file", "url": "http://h:1/a?b=1&c=2",
        "multi": "one,two,three", "even": "ends with backslash\\", "after": "ok",
    }
    assert doc.get("missing") is None
    assert "a" in doc and "zz" not in doc
    assert doc.duplicates == []


def test_set_keeps_each_lines_separator_and_indent():
    doc = parse(ODD)
    for key in ("a", "b", "c", "d", "e", "f", "indented", "key with spaces", "k:colon=eq"):
        assert doc.set(key, "new") is True
    out = doc.render()
    for line in ("a=new\n", "b = new\n", "c:new\n", "d : new\n", "e new\n", "f\tnew\n",
                 "  indented = new\n", "key\\ with\\ spaces = new\n", "k\\:colon\\=eq = new\n"):
        assert line in out
    assert out.startswith("# comment\n! bang comment\n\n   \t\n")


def test_set_same_value_is_no_change_even_when_spelled_differently():
    doc = parse(ODD)
    assert doc.set("url", "http://h:1/a?b=1&c=2") is False
    assert doc.set("uni", "caf\u00e9 A") is False
    assert doc.set("multi", "one,two,three") is False
    assert doc.render() == ODD


def test_editing_a_continued_line_replaces_the_whole_logical_line():
    doc = parse(ODD)
    assert doc.set("multi", "four") is True
    out = doc.render()
    assert "multi = four\neven" in out
    assert "two," not in out and "three" not in out
    assert parse(out).get("multi") == "four"


def test_bare_key_gets_the_dominant_separator_when_set():
    doc = parse("a = 1\nb = 2\nbare\n")
    doc.set("bare", "x")
    assert doc.render() == "a = 1\nb = 2\nbare = x\n"


def test_new_keys_are_appended_with_the_dominant_separator():
    assert parse("a: 1\nb: 2\nc=3\n").default_separator() == ": "
    doc = parse("a: 1\nb: 2\nc=3\n")
    assert doc.set("new", "v") is True
    assert doc.render() == "a: 1\nb: 2\nc=3\nnew: v\n"
    doc = parse("")
    doc.set("x", "y")
    assert doc.render() == "x=y\n"


def test_crlf_is_kept_for_edits_and_new_keys():
    doc = parse("# c\r\na=1\r\nb=2\r\n")
    doc.set("a", "9")
    doc.set("n", "new")
    assert doc.render() == "# c\r\na=9\r\nb=2\r\nn=new\r\n"
    assert doc.newline == "\r\n"


def test_missing_final_newline_is_kept_unless_appending():
    doc = parse("a=1\nb=2")
    doc.set("b", "3")
    assert doc.render() == "a=1\nb=3"
    doc.set("c", "4")
    assert doc.render() == "a=1\nb=3\nc=4\n"
    doc = parse("a=1\nb=2")
    doc.remove("b")
    assert doc.render() == "a=1"


def test_appending_after_a_dangling_continuation_does_not_join_lines():
    doc = parse("k=v\\")
    assert doc.get("k") == "v"
    doc.set("new", "1")
    assert parse(doc.render()).items() == {"k": "v", "new": "1"}


def test_remove_every_occurrence():
    doc = parse("# keep\na=1\nb=2\na=3\n")
    assert doc.remove("a") is True
    assert doc.render() == "# keep\nb=2\n"
    assert doc.remove("a") is False


def test_duplicates_collapse_to_the_last_occurrence():
    text = "a=1\nb=2\na=3\nc=4\na=5\n"
    doc = parse(text)
    assert doc.duplicates == ["a"]
    assert doc.get("a") == "5"
    # Same value as Java reads: still a change, since two lines go away.
    assert doc.set("a", "5") is True
    assert doc.render() == "b=2\nc=4\na=5\n"
    doc = parse(text)
    doc.set("a", "7")
    assert doc.render() == "b=2\nc=4\na=7\n"
    doc = parse("x=1\ny=2\nx=3\ny=4\n")
    assert doc.duplicates == ["x", "y"]
    assert doc.collapse_duplicates() is True
    assert doc.render() == "x=3\ny=4\n"


def test_values_are_escaped_when_written():
    doc = parse("")
    doc.set("k", "a&b/c=d:e#f!g")
    doc.set("back", "C:\\x")
    doc.set("lead", "  two")
    doc.set("ctl", "a\tb\nc")
    doc.set("uni", "\u00e9\U0001F600")
    doc.set("key=with:seps and space", "v")
    doc.set("#hash", "v")
    out = doc.render()
    assert "k=a&b/c=d:e#f!g\n" in out
    assert "back=C:\\\\x\n" in out
    assert "lead=\\ \\ two\n" in out
    assert "ctl=a\\tb\\nc\n" in out
    assert "uni=\\u00E9\\uD83D\\uDE00\n" in out
    assert "key\\=with\\:seps\\ and\\ space=v\n" in out
    assert "\\#hash=v\n" in out
    assert out.isascii()
    again = parse(out)
    assert again.items() == {
        "k": "a&b/c=d:e#f!g", "back": "C:\\x", "lead": "  two", "ctl": "a\tb\nc",
        "uni": "\u00e9\U0001F600", "key=with:seps and space": "v", "#hash": "v",
    }


def test_render_masked_hides_values_only_of_the_given_keys():
    doc = parse("user=u\npass = secret,\\\n  more\nother=x\n")
    assert doc.render_masked(["pass"]) == "user=u\npass = ********\nother=x\n"
    assert doc.render_masked({"pass": "HIDDEN"}) == "user=u\npass = HIDDEN\nother=x\n"
    assert "secret" in doc.render()


def test_set_refuses_non_strings():
    with pytest.raises(TypeError):
        parse("").set("a", 1)


def test_comment_lines_do_not_continue_but_continuations_may_look_like_comments():
    doc = parse("# comment \\\na=1\nb=x\\\n#notcomment\n")
    assert doc.items() == {"a": "1", "b": "x#notcomment"}


def test_helpers():
    assert detect_newline("a\r\nb\r\nc\n") == "\r\n"
    assert detect_newline("abc") == "\n"
    assert unescape("a\\u00") == "a\\u00".replace("\\", "")  # malformed \\u is read leniently
    assert escape_key("a b") == "a\\ b"
    assert escape_value(" a b") == "\\ a b"


def test_random_edits_read_back_as_java_would():
    """Edits with awkward keys and values, checked by parsing the result again."""
    rng = random.Random(20261128)
    alphabet = "ab =:#!\\\t\u00e9&/,\u20ac"
    base = ODD.replace("\n", "\r\n")
    doc = parse(base)
    expected = doc.items()
    for step in range(300):
        key = "".join(rng.choice(alphabet) for position in range(rng.randint(1, 6)))
        if rng.random() < 0.25 and expected:
            key = rng.choice(sorted(expected))
            doc.remove(key)
            expected.pop(key)
        else:
            value = "".join(rng.choice(alphabet) for position in range(rng.randint(0, 8)))
            doc.set(key, value)
            expected[key] = value
        assert parse(doc.render()).items() == expected, "after step %d" % step
    assert parse(doc.render()).duplicates == []


# --- set, uncommenting the shipped commented default -------------------------------------------
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.properties import set_properties  # noqa: E402

SM_PROPERTIES = TREES / "red5pro_streammanager" / "webapps" / "streammanager" / "WEB-INF" / "red5-web.properties"


def test_uncomment_replaces_the_commented_default_in_place():
    text = "## AWS ##\n#aws.defaultzone={default-region}\n#aws.vpcName={vpcname}\nlast=1\n"
    doc = PropertiesDocument.parse(text)
    assert doc.set("aws.defaultzone", "eu-west-1", uncomment=True) is True
    assert doc.render() == "## AWS ##\naws.defaultzone=eu-west-1\n#aws.vpcName={vpcname}\nlast=1\n"
    assert doc.get("aws.defaultzone") == "eu-west-1"


def test_uncomment_keeps_the_comment_lines_separator_and_indent():
    text = "  # aws.accessKey = {account-accessKey}\r\nx=1\r\n"
    doc = PropertiesDocument.parse(text)
    doc.set("aws.accessKey", "AKIA", uncomment=True)
    assert doc.render() == "  aws.accessKey = AKIA\r\nx=1\r\n"


def test_uncomment_twice_is_a_no_op_and_never_appends():
    text = "#a.b=1\n"
    once, changed = set_properties(text, {"a.b": "2"})
    assert (once, changed) == ("a.b=2\n", ["a.b"])
    twice, changed = set_properties(once, {"a.b": "2"})
    assert (twice, changed) == (once, [])
    assert twice.count("a.b") == 1


def test_uncomment_takes_the_commented_value_as_is_when_it_is_the_wanted_one():
    # The line changes (it becomes active) even though the value is the same.
    text = "#aws.faultZoneBlockMilliseconds=3600000\n"
    assert set_properties(text, {"aws.faultZoneBlockMilliseconds": "3600000"})[0] == "aws.faultZoneBlockMilliseconds=3600000\n"


def test_active_key_wins_over_a_commented_default():
    text = "#k=old\nk=1\n"
    assert set_properties(text, {"k": "2"})[0] == "#k=old\nk=2\n"


def test_without_uncomment_the_key_is_appended_as_before():
    doc = PropertiesDocument.parse("#k=1\n")
    doc.set("k", "2")
    assert doc.render() == "#k=1\nk=2\n"


@pytest.mark.parametrize("comment", [
    "## k ##\n",            # a section header
    "# k is the key\n",     # prose naming the key
    "#kk=1\n",              # another key sharing a prefix
    "# k\n",                # a bare word
])
def test_comments_that_are_not_a_default_of_the_key_are_left_alone(comment):
    assert set_properties(comment, {"k": "v"})[0] == comment + "k=v\n"


def test_first_commented_default_is_used_and_the_others_stay_comments():
    text = "#k=a\n#k=b\n"
    assert set_properties(text, {"k": "v"})[0] == "k=v\n#k=b\n"


def test_commented_default_reads_the_value():
    doc = PropertiesDocument.parse("# aws.defaultVPC = {boolean}\n")
    assert doc.commented_default("aws.defaultVPC") == "{boolean}"
    assert doc.commented_default("aws.vpcName") is None


def test_uncommented_value_is_escaped_like_any_value():
    assert set_properties("#p=x\n", {"p": "a\\b"})[0] == "p=a\\\\b\n"


def test_uncomment_on_the_shipped_layout_sets_each_aws_key_once():
    text = SM_PROPERTIES.read_text()
    updates = {
        "aws.defaultzone": "eu-west-1", "aws.operationTimeoutMilliseconds": "200000",
        "aws.accessKey": "AKIA", "aws.accessSecret": "s3cret", "aws.ec2KeyPairName": "kp",
        "aws.ec2SecurityGroup": "sg", "aws.defaultVPC": "false", "aws.vpcName": "vpc",
        "aws.faultZoneBlockMilliseconds": "3600000",
    }
    after, changed = set_properties(text, updates)
    assert sorted(changed) == sorted(updates)
    lines = after.splitlines()
    for key, value in updates.items():
        assert lines.count("%s=%s" % (key, value)) == 1
        assert not any(line.lstrip("#").startswith(key + "=") and line.startswith("#") for line in lines)
    # Same number of lines: replaced in place, nothing appended.
    assert len(lines) == len(text.splitlines())
    assert set_properties(after, updates) == (after, [])


# -- WCS's flashphoner.properties: "key =value" spacing, no cdn_* key shipped -------------------
WCS_SHIPPED = Path(__file__).resolve().parents[3] / "standins" / "archives" / "wcs" / "server" / "conf" / "flashphoner.properties"


def test_wcs_absent_keys_are_added_once_in_the_file_spelling():
    shipped = WCS_SHIPPED.read_text()
    assert not [line for line in shipped.splitlines() if line.startswith("cdn_")]
    after, changed = set_properties(shipped, {"cdn_enabled": "true", "cdn_ip": "10.0.0.5"})
    assert changed == ["cdn_enabled", "cdn_ip"]
    assert after == shipped + "cdn_enabled =true\ncdn_ip =10.0.0.5\n"
    assert set_properties(after, {"cdn_enabled": "true", "cdn_ip": "10.0.0.5"}) == (after, [])


def test_wcs_commented_default_with_spaced_separator_is_uncommented_in_place():
    text = "ip =\n#periodic_fir_request =false\nws.port =8080\n"
    after, changed = set_properties(text, {"periodic_fir_request": "true"})
    assert changed == ["periodic_fir_request"]
    assert after == "ip =\nperiodic_fir_request =true\nws.port =8080\n"
    # Without uncommenting (what wcs_config did before), the key would have been appended.
    appended, _keys = set_properties(text, {"periodic_fir_request": "true"}, uncomment=False)
    assert appended.count("periodic_fir_request") == 2
