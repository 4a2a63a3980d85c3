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
