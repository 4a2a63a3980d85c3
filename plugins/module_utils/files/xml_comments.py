# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edits of Spring and servlet XML files that vendors make by (un)commenting whole elements.

API (the config modules and the boot-time code call these; keep them stable)::

    activate_bean(text, bean_id, bean_class) -> (new_text, changed)
        The bean with ``id=bean_id`` and ``class=bean_class`` becomes the active one: a
        commented-out ``<!-- <bean id=... class=...> ... </bean> -->`` is uncommented where it
        stands, and every other active bean with the same id is commented out where it stands
        (``<!-- <bean ...> ... </bean> -->``).  Already so: the text comes back unchanged.
    active_bean_classes(text, bean_id) -> list of the classes of the active beans with that id
    ensure_cors_filter(text, url_pattern="/api/*") -> (new_text, changed)
        A Tomcat ``CorsFilter`` and its ``filter-mapping`` for ``url_pattern`` in a ``web.xml``,
        inserted before the closing ``</web-app>`` with the lines the vendor's installer writes.
    cors_filter_present(text, url_pattern="/api/*") -> bool

Everything outside the edited elements stays byte for byte.  Bad input (not well-formed, no
bean to activate, an element that cannot be put in a comment) raises ``XmlEditError`` before
anything is returned; every result is parsed again before it is returned.

Red5 Pro Stream Manager: ``webapps/streammanager/WEB-INF/applicationContext.xml`` ships the
default ``apiBridge`` (``DummyCloudController``) active and the AWS one
(``com.red5pro.services.cloud.aws.component.AWSInstanceController``) commented; ``web.xml``
ships without a CORS filter.  The vendor's installer (red5pro/terraform-aws-red5pro,
``red5pro-installer/r5p_config_stream_manager.sh``) makes both edits with sed on fixed lines; the
bean edit here is structural (any layout), the CORS block is the installer's, line for line.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from xml.parsers import expat

CORS_FILTER_CLASS = "org.apache.catalina.filters.CorsFilter"
CORS_FILTER_NAME = "CorsFilter"

_COMMENT = re.compile(r"<!--(.*?)-->", re.S)
_LEADING_BEAN = re.compile(r"^\s*<bean[\s>/]")


class XmlEditError(ValueError):
    """The XML is malformed or the asked edit is impossible; the message is safe to show."""


def _local(name):
    return name.rsplit(":", 1)[-1].rsplit(" ", 1)[-1]


class _Element(object):
    __slots__ = ("name", "attrs", "start", "end", "children", "text", "parent")

    def __init__(self, name, attrs, start, parent):
        self.name = name
        self.attrs = attrs
        self.start = start          # character offset of '<'
        self.end = None             # character offset just after the element
        self.children = []
        self.text = []
        self.parent = parent

    def child_text(self, name):
        for child in self.children:
            if child.name == name:
                return "".join(child.text).strip()
        return None


def _parse(text):
    """Return the root ``_Element`` tree with character offsets (not comments)."""
    data = text.encode("utf-8")
    parser = expat.ParserCreate()
    stack = []
    root = []

    def char_offset(byte_offset):
        return len(data[:byte_offset].decode("utf-8"))

    def start(name, attrs):
        parent = stack[-1] if stack else None
        offset = parser.CurrentByteIndex
        element = _Element(_local(name), attrs, char_offset(offset), parent)
        tag_end = _end_of_start_tag(data, offset)
        # '<name .../>': the element ends with its start tag.
        element.end = char_offset(tag_end) if data[tag_end - 2:tag_end] == b"/>" else None
        if parent is not None:
            parent.children.append(element)
        else:
            root.append(element)
        stack.append(element)

    def end(_name):
        element = stack.pop()
        if element.end is None:
            # expat reports the offset of '</name>'.
            element.end = char_offset(data.index(b">", parser.CurrentByteIndex) + 1)

    def chars(value):
        if stack:
            stack[-1].text.append(value)

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise XmlEditError("not well-formed XML: %s" % exc)
    return root[0]


def _end_of_start_tag(data, offset):
    quote = None
    index = offset + 1
    while index < len(data):
        char = data[index:index + 1]
        if quote:
            if char == quote:
                quote = None
        elif char in (b'"', b"'"):
            quote = char
        elif char == b">":
            return index + 1
        index += 1
    raise XmlEditError("unterminated tag at byte %d" % offset)


def _walk(element):
    yield element
    for child in element.children:
        yield from _walk(child)


def _active_beans(text, bean_id):
    return [e for e in _walk(_parse(text)) if e.name == "bean" and e.attrs.get("id") == bean_id]


def active_bean_classes(text, bean_id):
    """Classes of the active (not commented) beans whose id is ``bean_id``, in file order."""
    return [bean.attrs.get("class") for bean in _active_beans(text, bean_id)]


def _commented_beans(text, bean_id, bean_class):
    """``(start, end, inner_start, inner_end)`` of each comment holding exactly that bean."""
    found = []
    for match in _COMMENT.finditer(text):
        inner = match.group(1)
        if not _LEADING_BEAN.match(inner):
            continue
        try:
            element = _parse(inner.strip())
        except XmlEditError:
            continue  # prose or a fragment: not a bean someone can switch on
        if element.name != "bean" or element.attrs.get("id") != bean_id:
            continue
        if element.attrs.get("class") != bean_class:
            continue
        lead = len(inner) - len(inner.lstrip())
        trail = len(inner) - len(inner.rstrip())
        inner_start = match.start(1) + lead
        inner_end = match.end(1) - trail
        found.append((match.start(), match.end(), inner_start, inner_end))
    return found


def activate_bean(text, bean_id, bean_class):
    """Make the bean ``bean_id`` of class ``bean_class`` the active one; see the module doc."""
    active = _active_beans(text, bean_id)
    wanted_active = [b for b in active if b.attrs.get("class") == bean_class]
    others = [b for b in active if b.attrs.get("class") != bean_class]
    if wanted_active and not others:
        return text, False
    edits = []  # (start, end, replacement), applied from the end of the file
    if not wanted_active:
        commented = _commented_beans(text, bean_id, bean_class)
        if not commented:
            raise XmlEditError(
                "no bean id=%r class=%r, active or commented out, in the file; is this the "
                "file of a release that ships it?" % (bean_id, bean_class))
        start, end, inner_start, inner_end = commented[0]
        edits.append((start, end, text[inner_start:inner_end]))
    for bean in others:
        body = text[bean.start:bean.end]
        if "--" in body:
            raise XmlEditError("bean id=%r class=%r contains '--' and cannot be commented out; "
                               "remove it by hand" % (bean_id, bean.attrs.get("class")))
        edits.append((bean.start, bean.end, "<!-- " + body + " -->"))
    result = text
    for start, end, replacement in sorted(edits, reverse=True):
        result = result[:start] + replacement + result[end:]
    classes = active_bean_classes(result, bean_id)
    if classes != [bean_class]:
        raise XmlEditError("activating %s left active beans id=%r of classes %s; refusing to write"
                           % (bean_class, bean_id, classes))
    return result, True


# --- web.xml: the CORS filter ------------------------------------------------------------------

def _cors_state(text, url_pattern):
    root = _parse(text)
    if root.name != "web-app":
        raise XmlEditError("the root element is <%s>, not <web-app>" % root.name)
    names = [f.child_text("filter-name") for f in root.children
             if f.name == "filter" and f.child_text("filter-class") == CORS_FILTER_CLASS]
    mapped = [m for m in root.children if m.name == "filter-mapping" and m.child_text("filter-name") in names
              and any(c.name == "url-pattern" and "".join(c.text).strip() == url_pattern for c in m.children)]
    return root, names, bool(mapped)


def cors_filter_present(text, url_pattern="/api/*"):
    """True when a Tomcat CorsFilter is declared and mapped to ``url_pattern``."""
    _root, names, mapped = _cors_state(text, url_pattern)
    return bool(names) and mapped


def _cors_filter_lines(name):
    # Line for line what r5p_config_stream_manager.sh (config_sm_cors) inserts, so that a file
    # edited here equals one edited by the vendor's installer.
    return [
        "<filter>",
        "<filter-name>%s</filter-name>" % name,
        "<filter-class>%s</filter-class>" % CORS_FILTER_CLASS,
        "<init-param>",
        "<param-name>cors.allowed.origins</param-name>",
        "<param-value>*</param-value>",
        "</init-param>",
        "<init-param>",
        "<param-name>cors.exposed.headers</param-name>",
        "<param-value>Access-Control-Allow-Origin</param-value>",
        "</init-param>",
        "<init-param>",
        "<param-name>cors.allowed.methods</param-name>",
        "<param-value>GET, POST, PUT, DELETE</param-value>",
        "</init-param>",
        "<async-supported>true</async-supported>",
        # The installer joins its two blocks with a space: the line keeps it.
        "</filter> ",
    ]


def _cors_mapping_lines(name, url_pattern):
    return [
        "<filter-mapping>",
        "<filter-name>%s</filter-name>" % name,
        "<url-pattern>%s</url-pattern>" % url_pattern,
        "</filter-mapping>",
    ]


def ensure_cors_filter(text, url_pattern="/api/*"):
    """Declare a Tomcat CorsFilter mapped to ``url_pattern`` unless one is; see the module doc."""
    root, names, mapped = _cors_state(text, url_pattern)
    if names and mapped:
        return text, False
    if any(c in url_pattern for c in "<>&\r\n"):
        raise XmlEditError("url_pattern %r is not a servlet URL pattern" % url_pattern)
    lines = []
    if not names:
        lines += _cors_filter_lines(CORS_FILTER_NAME)
    lines += _cors_mapping_lines(names[0] if names else CORS_FILTER_NAME, url_pattern)
    newline = "\r\n" if "\r\n" in text else "\n"
    block = newline.join(lines) + newline
    closing = text.rindex("</web-app>", root.start, root.end)
    line_start = text.rfind("\n", 0, closing) + 1
    if text[line_start:closing].strip():
        # Something precedes </web-app> on its line: open a line for the block there.
        result = text[:closing] + newline + block + text[closing:]
    else:
        result = text[:line_start] + block + text[line_start:]
    if not cors_filter_present(result, url_pattern):
        raise XmlEditError("the CORS filter could not be added; refusing to write")  # pragma: no cover
    return result, True
