# -*- coding: utf-8 -*-
from __future__ import absolute_import, division, print_function

__metaclass__ = type

from pathlib import Path

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.xml_beans import (
    XmlBeansDocument,
    XmlBeansError,
    escape_attribute,
    get_cluster_password,
    set_cluster_password,
)

TREES = Path(__file__).resolve().parents[3] / "standins" / "trees"
AUTOSCALE = (TREES / "red5pro_node" / "conf" / "autoscale.xml").read_text()
CLUSTER = (TREES / "red5pro_node" / "conf" / "cluster.xml").read_text()

ODD = (
    '<?xml version="1.0"?>\r\n'
    "<!-- header with <property name=\"active\" value=\"x\"/> inside a comment -->\r\n"
    "<beans>\r\n"
    "\t<bean id='first' class=\"a.b.First\">\r\n"
    "\t\t<property   value='one'   name=\"x\" />  <!-- trailing -->\r\n"
    "\t\t<property name=\"y\"><value>  two &amp; more </value></property>\r\n"
    "\t\t<property name=\"empty\"/>\r\n"
    "\t</bean>\r\n"
    "\t<bean id=\"second\" class=\"a.b.Second\">\r\n"
    "\t\t<property name=\"x\" value=\"2nd\"/>\r\n"
    "\t\t<property name=\"nested\">\r\n"
    "\t\t\t<bean class=\"a.b.Inner\"><property name=\"deep\" value=\"d\"/></bean>\r\n"
    "\t\t</property>\r\n"
    "\t</bean>\r\n"
    "</beans>"
)


def changed_lines(before, after):
    a, b = before.splitlines(True), after.splitlines(True)
    assert len(a) == len(b)
    return [(x, y) for x, y in zip(a, b) if x != y]


def test_read_autoscale_sample():
    doc = XmlBeansDocument.parse(AUTOSCALE)
    assert doc.get("active") == "false"
    assert doc.get("cloudWatchHost") == "http://0.0.0.0:5080/streammanager/cloudwatch"
    assert doc.get("reportingSpeed") == "10000"
    assert doc.get("missing") is None


def test_unchanged_document_renders_byte_for_byte():
    for text in (AUTOSCALE, CLUSTER, ODD):
        assert XmlBeansDocument.parse(text).render() == text


def test_set_changes_only_the_value():
    doc = XmlBeansDocument.parse(AUTOSCALE)
    assert doc.set("active", "true") is True
    assert doc.set("cloudWatchHost", "http://sm:5080/streammanager/cloudwatch") is True
    after = doc.render()
    assert changed_lines(AUTOSCALE, after) == [
        ('        <property name="active" value="false"/>\n',
         '        <property name="active" value="true"/>\n'),
        ('        <property name="cloudWatchHost" value="http://0.0.0.0:5080/streammanager/cloudwatch"/>\n',
         '        <property name="cloudWatchHost" value="http://sm:5080/streammanager/cloudwatch"/>\n'),
    ]


def test_set_same_value_is_no_change():
    doc = XmlBeansDocument.parse(AUTOSCALE)
    assert doc.set("active", "false") is False
    assert doc.render() == AUTOSCALE


def test_odd_layout_kept_crlf_tabs_quotes_attribute_order():
    doc = XmlBeansDocument.parse(ODD)
    assert doc.get("x") == "one"
    assert doc.get("x", bean="second") == "2nd"
    assert doc.get("y") == "  two & more "
    assert doc.get("empty") is None
    assert doc.set("x", "uno") and doc.set("y", "b<c") and doc.set("empty", "e")
    after = doc.render()
    assert changed_lines(ODD, after) == [
        ("\t\t<property   value='one'   name=\"x\" />  <!-- trailing -->\r\n",
         "\t\t<property   value='uno'   name=\"x\" />  <!-- trailing -->\r\n"),
        ("\t\t<property name=\"y\"><value>  two &amp; more </value></property>\r\n",
         "\t\t<property name=\"y\"><value>b&lt;c</value></property>\r\n"),
        ("\t\t<property name=\"empty\"/>\r\n", "\t\t<property name=\"empty\" value=\"e\"/>\r\n"),
    ]
    # The comment that looks like a property was not touched.
    assert after.splitlines()[1] == ODD.splitlines()[1]


def test_bean_selectors():
    doc = XmlBeansDocument.parse(ODD)
    assert doc.get("x", bean="a.b.Second") == "2nd"
    assert doc.get("x", bean="Second") == "2nd"
    assert doc.get("deep") == "d"
    assert doc.get("deep", bean="Inner") == "d"
    assert doc.get("nested") is None


def test_unknown_bean_is_reported_clearly():
    doc = XmlBeansDocument.parse(ODD)
    with pytest.raises(XmlBeansError, match=r"no bean 'nope' in the file \(beans: id=first, id=second, class=a.b.Inner\)"):
        doc.set("x", "1", bean="nope")
    with pytest.raises(XmlBeansError, match="no bean 'nope'"):
        doc.get("x", bean="nope")


def test_missing_property_without_bean_in_multi_bean_file():
    doc = XmlBeansDocument.parse(ODD)
    with pytest.raises(XmlBeansError, match="name the bean"):
        doc.set("brandNew", "1")


@pytest.mark.parametrize("value", ['a"b', "a'b", "a&b", "a<b>c", "tab\there", "line\nbreak", "ü€"])
def test_values_are_escaped_and_read_back(value):
    doc = XmlBeansDocument.parse(CLUSTER)
    assert doc.set("password", value)
    again = XmlBeansDocument.parse(doc.render())
    assert again.get("password") == value
    assert again.set("password", value) is False


def test_single_quoted_attribute_escaping():
    assert escape_attribute("a'b\"", quote="'") == "a&apos;b\""
    doc = XmlBeansDocument.parse(ODD)
    doc.set("x", "it's")
    assert "value='it&apos;s'" in doc.render()
    assert XmlBeansDocument.parse(doc.render()).get("x") == "it's"


def test_add_missing_property_indented_like_siblings():
    doc = XmlBeansDocument.parse(AUTOSCALE)
    assert doc.set("newThing", "v")
    after = doc.render()
    assert '        <property name="retryDuration" value="30000"/>\n        <property name="newThing" value="v"/>\n    </bean>' in after
    assert after.replace('\n        <property name="newThing" value="v"/>', "") == AUTOSCALE


def test_add_property_crlf_and_sibling_style():
    doc = XmlBeansDocument.parse(ODD)
    doc.set("z", "1", bean="second")
    assert '\r\n\t\t<property name="z" value="1"/>\r\n\t</bean>' in doc.render()


def test_add_to_bean_without_properties():
    text = "<beans>\n  <bean id=\"b\" class=\"C\">\n  </bean>\n</beans>\n"
    doc = XmlBeansDocument.parse(text)
    doc.set("p", "1")
    assert doc.render() == "<beans>\n  <bean id=\"b\" class=\"C\">\n      <property name=\"p\" value=\"1\"/>\n  </bean>\n</beans>\n"


def test_add_to_empty_bean_element_refused():
    doc = XmlBeansDocument.parse('<beans><bean id="b" class="C"/></beans>')
    with pytest.raises(XmlBeansError, match="empty element"):
        doc.set("p", "1")


def test_no_add_when_asked():
    doc = XmlBeansDocument.parse(AUTOSCALE)
    with pytest.raises(XmlBeansError, match="has no property 'nope'"):
        doc.set("nope", "1", add_missing=False)


@pytest.mark.parametrize("text", ["<beans><bean></beans>", "not xml", "", "<beans><bean id='a' id='b'/></beans>"])
def test_malformed_xml_refused(text):
    with pytest.raises(XmlBeansError, match="not well-formed"):
        XmlBeansDocument.parse(text)


def test_cluster_password_helpers():
    assert get_cluster_password(CLUSTER) == "changeme"
    text, changed = set_cluster_password(CLUSTER, "n3w&pw")
    assert changed and get_cluster_password(text) == "n3w&pw"
    assert changed_lines(CLUSTER, text) == [(
        '        <property name="password" value="changeme"/>\n',
        '        <property name="password" value="n3w&amp;pw"/>\n')]
    assert set_cluster_password(text, "n3w&pw") == (text, False)


def test_cluster_password_as_value_element():
    text = "<beans>\n <bean id=\"c\">\n  <property name=\"password\">\n   <value>old</value>\n  </property>\n </bean>\n</beans>\n"
    assert get_cluster_password(text) == "old"
    new, changed = set_cluster_password(text, "new")
    assert changed and new == text.replace(">old<", ">new<")


def test_cluster_password_missing_is_an_error():
    with pytest.raises(XmlBeansError, match="has no property 'password'"):
        set_cluster_password(AUTOSCALE, "x")
    assert get_cluster_password(AUTOSCALE) is None


def test_items():
    assert XmlBeansDocument.parse(CLUSTER).items() == {
        "password": "changeme", "publicPort": "1935", "retryDuration": "30"}


def test_namespaced_elements():
    text = '<b:beans xmlns:b="urn:x"><b:bean id="n"><b:property name="p" value="1"/></b:bean></b:beans>'
    doc = XmlBeansDocument.parse(text)
    assert doc.get("p") == "1"
    doc.set("p", "2")
    assert doc.render() == text.replace('"1"', '"2"')
