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


# -- WCS's wcs-core.properties: two sections, several options on a line ---------------------
WCS = (
    "# our header\n"
    "### SERVER OPTIONS ###\n"
    "-DsessionDebugEnabled=false\n"
    "\n"
    "### JVM OPTIONS ###\n"
    "-Xmx1024M\n"
    "\n"
    "-XX:NewSize=256m -XX:MaxNewSize=256m\n"
    "#-XX:+CMSIncrementalMode\n"
    "-Djava.net.preferIPv4Stack=true\n"
)


def read_like_setenv(text):
    """(server options, JVM options) as WCS's bin/setenv.sh sorts the lines of the file."""
    server, jvm = [], []
    target = jvm
    for line in text.splitlines():
        stripped = line.strip()
        if line == "### SERVER OPTIONS ###":
            target = server
        elif line == "### JVM OPTIONS ###":
            target = jvm
        elif stripped.startswith("-"):
            target.extend(stripped.split())
    return server, jvm


def test_wcs_section_headers_are_comments_and_stay():
    doc = parse(WCS)
    assert "### SERVER OPTIONS ###" not in doc.options() and "### JVM OPTIONS ###" not in doc.options()
    assert doc.options() == ["-DsessionDebugEnabled=false", "-Xmx1024M", "-XX:NewSize=256m",
                             "-XX:MaxNewSize=256m", "-Djava.net.preferIPv4Stack=true"]
    assert doc.set("-Xmx2g") is True
    assert doc.render() == WCS.replace("-Xmx1024M\n", "-Xmx2g\n")


def test_new_initial_heap_goes_after_the_maximum_in_the_jvm_section():
    doc = parse(WCS)
    assert doc.set("-Xms512m") is True
    assert doc.render() == WCS.replace("-Xmx1024M\n", "-Xmx1024M\n-Xms512m\n")
    server, jvm = read_like_setenv(doc.render())
    assert server == ["-DsessionDebugEnabled=false"] and "-Xms512m" in jvm
    # Without an -Xmx to stand next to, a new -Xms is appended (the JVM section is the last).
    doc = parse(WCS.replace("-Xmx1024M\n", ""))
    doc.set("-Xms512m")
    assert doc.render().endswith("-Djava.net.preferIPv4Stack=true\n-Xms512m\n")
    assert "-Xms512m" in read_like_setenv(doc.render())[1]


def test_an_option_sharing_a_line_is_edited_in_its_place():
    doc = parse(WCS)
    assert doc.set("-XX:MaxNewSize=512m") is True
    assert doc.render() == WCS.replace("-XX:MaxNewSize=256m", "-XX:MaxNewSize=512m")
    assert doc.set("-XX:MaxNewSize=512m") is False
    assert doc.remove("-XX:NewSize=") is True
    assert doc.render() == WCS.replace("-XX:NewSize=256m -XX:MaxNewSize=256m", "-XX:MaxNewSize=512m")
    assert doc.remove("-XX:MaxNewSize=") is True
    assert "NewSize" not in doc.render() and "#-XX:+CMSIncrementalMode\n" in doc.render()


def test_heap_inside_a_multi_option_line_is_replaced_there_not_appended():
    text = "### JVM OPTIONS ###\n-XX:+UseConcMarkSweepGC -Xms24g -Xmx24g\n-Dx=1\n"
    doc = parse(text)
    assert doc.set("-Xmx8g") is True and doc.set("-Xms8g") is True
    assert doc.render() == "### JVM OPTIONS ###\n-XX:+UseConcMarkSweepGC -Xms8g -Xmx8g\n-Dx=1\n"


def test_commented_out_heap_is_not_an_option():
    doc = parse("### JVM OPTIONS ###\n#-Xmx4g\n-Xmx1024M\n")
    assert doc.find("-Xmx") == ["-Xmx1024M"]
    doc.set("-Xmx2g")
    assert doc.render() == "### JVM OPTIONS ###\n#-Xmx4g\n-Xmx2g\n"
