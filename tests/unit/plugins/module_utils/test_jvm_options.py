"""Unit tests of plugins/module_utils/jvm_options.py."""
import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.jvm_options import (
    JvmOptionsDocument,
    option_kind,
    parse_memory_size,
)

TEXT = (
    "# JVM options\n"
    "-Xmx1024M\n"
    "-Xms512M\n"
    "\n"
    "  -XX:+UseConcMarkSweepGC\n"
    "-Dfoo=bar\n"
    "-XX:NewSize=256m\n"
)


def parse(text):
    return JvmOptionsDocument.parse(text)


@pytest.mark.parametrize("text", [TEXT, TEXT.replace("\n", "\r\n"), TEXT.rstrip("\n"), ""])
def test_round_trip(text):
    assert parse(text).render() == text


def test_options_and_find():
    doc = parse(TEXT)
    assert doc.options() == ["-Xmx1024M", "-Xms512M", "-XX:+UseConcMarkSweepGC", "-Dfoo=bar", "-XX:NewSize=256m"]
    assert doc.find("-Xm") == ["-Xmx1024M", "-Xms512M"]


@pytest.mark.parametrize("option,kind", [
    ("-Xmx2g", "-Xmx"), ("-Xms1g", "-Xms"), ("-Dfoo=bar", "-Dfoo="), ("-Dflag", "-Dflag="),
    ("-XX:+UseG1GC", "-XX:?UseG1GC"), ("-XX:-UseG1GC", "-XX:?UseG1GC"),
    ("-XX:MaxGCPauseMillis=200", "-XX:MaxGCPauseMillis="), ("-server", "-server"),
])
def test_option_kind(option, kind):
    assert option_kind(option) == kind


def test_set_replaces_the_same_kind_in_place():
    doc = parse(TEXT)
    assert doc.set("-Xmx2g") is True
    assert doc.set("-Xmx2g") is False
    assert doc.set("-XX:-UseConcMarkSweepGC") is True
    assert doc.set("-Dfoo=baz") is True
    assert doc.render() == TEXT.replace("-Xmx1024M", "-Xmx2g").replace("+UseConc", "-UseConc").replace("foo=bar", "foo=baz")


def test_set_collapses_duplicates_to_the_last_and_appends_new_options():
    doc = parse("-Xmx1g\n-Xmx2g\n-Xms1g")
    assert doc.set("-Xmx2g") is True
    assert doc.render() == "-Xmx2g\n-Xms1g"
    doc = parse("-Xmx1g")
    assert doc.set("-XX:+UseG1GC") is True
    assert doc.render() == "-Xmx1g\n-XX:+UseG1GC\n"
    doc = parse("# x\r\n-Xmx1g\r\n")
    doc.add("-Dnew=1")
    assert doc.render() == "# x\r\n-Xmx1g\r\n-Dnew=1\r\n"


def test_remove_by_prefix():
    doc = parse(TEXT)
    assert doc.remove("-XX:") is True
    assert doc.remove("-XX:") is False
    assert doc.options() == ["-Xmx1024M", "-Xms512M", "-Dfoo=bar"]
    assert "# JVM options\n" in doc.render()


def test_set_refuses_non_options():
    for bad in ("", "# c", "-Xmx1g -Xms1g"):
        with pytest.raises(ValueError):
            parse(TEXT).set(bad)


@pytest.mark.parametrize("text,size", [("1024m", 1024 ** 3), ("2g", 2 * 1024 ** 3), ("2G", 2 * 1024 ** 3),
                                       ("512k", 512 * 1024), ("4194304", 4194304), ("1t", 1024 ** 4)])
def test_parse_memory_size(text, size):
    assert parse_memory_size(text) == size


@pytest.mark.parametrize("text", ["", "0m", "1.5g", "2gb", "-1g", "g", "1 g"])
def test_parse_memory_size_refuses(text):
    with pytest.raises(ValueError):
        parse_memory_size(text)
