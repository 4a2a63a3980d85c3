"""Unit tests of plugins/module_utils/files/xml_comments.py (bean activation, CORS filter)."""
from pathlib import Path

import pytest

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.xml_comments import (
    XmlEditError,
    activate_bean,
    active_bean_classes,
    cors_filter_present,
    ensure_cors_filter,
)

WEB_INF = (Path(__file__).resolve().parents[3] / "standins" / "trees" / "red5pro_streammanager"
           / "webapps" / "streammanager" / "WEB-INF")
AWS = "com.red5pro.services.cloud.aws.component.AWSInstanceController"
DUMMY = "com.red5pro.services.cloud.sample.component.DummyCloudController"

SMALL = (
    '<?xml version="1.0"?>\n<beans>\n'
    '  <!-- Default -->\n'
    '  <bean id="apiBridge" class="a.Dummy"/>\n'
    '  <!--\n  <bean id="apiBridge" class="b.Aws">\n    <property name="x" value="${x}"/>\n  </bean>\n  -->\n'
    '  <!-- <bean id="apiBridge" class="c.Other"/> -->\n'
    '  <bean id="keep" class="k.Keep"/>\n'
    '</beans>\n'
)


def test_shipped_layout_aws_bean_activated_dummy_commented():
    text = (WEB_INF / "applicationContext.xml").read_text()
    assert active_bean_classes(text, "apiBridge") == [DUMMY]
    after, changed = activate_bean(text, "apiBridge", AWS)
    assert changed is True
    assert active_bean_classes(after, "apiBridge") == [AWS]
    assert '<!-- <bean id="apiBridge" class="%s"' % DUMMY in after
    # Only the two beans' bytes changed: the rest of the file is kept.
    assert after.replace("<!-- ", "").replace(" -->", "") == text.replace("<!-- ", "").replace(" -->", "")
    assert activate_bean(after, "apiBridge", AWS) == (after, False)


def test_small_file_exact_result_and_other_beans_untouched():
    after, changed = activate_bean(SMALL, "apiBridge", "b.Aws")
    assert changed
    assert after == (
        '<?xml version="1.0"?>\n<beans>\n'
        '  <!-- Default -->\n'
        '  <!-- <bean id="apiBridge" class="a.Dummy"/> -->\n'
        '  <bean id="apiBridge" class="b.Aws">\n    <property name="x" value="${x}"/>\n  </bean>\n'
        '  <!-- <bean id="apiBridge" class="c.Other"/> -->\n'
        '  <bean id="keep" class="k.Keep"/>\n'
        '</beans>\n'
    )


def test_switch_back_restores_a_working_file():
    aws, _changed = activate_bean(SMALL, "apiBridge", "b.Aws")
    back, changed = activate_bean(aws, "apiBridge", "a.Dummy")
    assert changed and active_bean_classes(back, "apiBridge") == ["a.Dummy"]
    assert active_bean_classes(back, "keep") == ["k.Keep"]


def test_missing_bean_fails_clearly():
    with pytest.raises(XmlEditError, match="no bean id='apiBridge' class='z.Missing'"):
        activate_bean(SMALL, "apiBridge", "z.Missing")


def test_bean_holding_a_double_dash_is_not_commented_into_broken_xml():
    text = '<beans><bean id="a" class="x"><!-- note --></bean><!-- <bean id="a" class="y"/> --></beans>'
    with pytest.raises(XmlEditError, match="cannot be commented out"):
        activate_bean(text, "a", "y")


def test_malformed_file_fails():
    with pytest.raises(XmlEditError, match="not well-formed"):
        activate_bean("<beans><bean id='a'></beans>", "a", "x")


def test_prose_comment_mentioning_a_bean_is_not_activated():
    text = '<beans><bean id="a" class="x"/><!-- <bean> tags go here; class y is the AWS one --></beans>'
    with pytest.raises(XmlEditError):
        activate_bean(text, "a", "y")


def test_crlf_and_bytes_elsewhere_kept():
    text = SMALL.replace("\n", "\r\n")
    after, _changed = activate_bean(text, "apiBridge", "b.Aws")
    assert after == activate_bean(SMALL, "apiBridge", "b.Aws")[0].replace("\n", "\r\n")


# --- CORS filter -----------------------------------------------------------------------------

VENDOR_BLOCK = (
    "<filter>\n<filter-name>CorsFilter</filter-name>\n"
    "<filter-class>org.apache.catalina.filters.CorsFilter</filter-class>\n"
    "<init-param>\n<param-name>cors.allowed.origins</param-name>\n<param-value>*</param-value>\n</init-param>\n"
    "<init-param>\n<param-name>cors.exposed.headers</param-name>\n"
    "<param-value>Access-Control-Allow-Origin</param-value>\n</init-param>\n"
    "<init-param>\n<param-name>cors.allowed.methods</param-name>\n"
    "<param-value>GET, POST, PUT, DELETE</param-value>\n</init-param>\n"
    "<async-supported>true</async-supported>\n</filter> \n"
    "<filter-mapping>\n<filter-name>CorsFilter</filter-name>\n<url-pattern>/api/*</url-pattern>\n</filter-mapping>\n"
)


def test_cors_block_is_the_installers_before_the_closing_line():
    # r5p_config_stream_manager.sh (config_sm_cors) inserts these lines before the line holding
    # </web-app>; checked byte for byte against that sed command run on this stand-in.
    text = (WEB_INF / "web.xml").read_text()
    assert not cors_filter_present(text)
    after, changed = ensure_cors_filter(text)
    assert changed
    head, tail = text.rsplit("</web-app>", 1)
    assert after == head + VENDOR_BLOCK + "</web-app>" + tail
    assert cors_filter_present(after)
    assert ensure_cors_filter(after) == (after, False)


def test_cors_mapping_added_to_an_existing_filter_of_another_name():
    text = ("<web-app><filter><filter-name>cors</filter-name>"
            "<filter-class>org.apache.catalina.filters.CorsFilter</filter-class></filter>\n</web-app>\n")
    after, changed = ensure_cors_filter(text)
    assert changed and after.count("<filter>") == 1
    assert "<filter-mapping>\n<filter-name>cors</filter-name>\n<url-pattern>/api/*</url-pattern>" in after
    assert cors_filter_present(after)


def test_cors_closing_tag_on_a_shared_line():
    after, changed = ensure_cors_filter("<web-app><display-name>x</display-name></web-app>")
    assert changed and cors_filter_present(after)
    assert after.startswith("<web-app><display-name>x</display-name>\n<filter>\n")


def test_cors_on_a_file_that_is_not_web_xml_fails():
    with pytest.raises(XmlEditError, match="not <web-app>"):
        ensure_cors_filter("<beans/>")
