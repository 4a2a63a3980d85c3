# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

"""Read and set ``<property>`` values of Spring bean XML files (Red5 Pro ``autoscale.xml``,
``cluster.xml``) without reformatting them.

The file is parsed with expat, which validates it and reports where each element starts; an
edit then replaces only the bytes of one attribute value (or one ``<value>`` element's text),
so comments, white space, attribute order and everything else stay byte for byte.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from xml.parsers import expat

_ATTRIBUTE = re.compile(r"""([^\s=/>]+)\s*=\s*("[^"]*"|'[^']*')""")
_TAG_END = re.compile(br"""(?:[^"'>]|"[^"]*"|'[^']*')*?(/?)>""")


class XmlBeansError(ValueError):
    """The XML is malformed, or the bean or property asked for is not there."""


def escape_attribute(value, quote='"'):
    """Escape ``value`` for an XML attribute delimited by ``quote``."""
    text = (str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\t", "&#9;").replace("\n", "&#10;").replace("\r", "&#13;"))
    return text.replace('"', "&quot;") if quote == '"' else text.replace("'", "&apos;")


def escape_text(value):
    return str(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _local(name):
    return name.rsplit(":", 1)[-1].rsplit(" ", 1)[-1]


class _Property(object):
    def __init__(self, name, start, tag_end, empty):
        self.name = name
        self.start = start            # offset of '<property'
        self.tag_end = tag_end        # offset just after the start tag's '>'
        self.empty = empty            # written as <property .../>
        self.value = None             # the value attribute, unescaped (None when absent)
        self.value_span = None        # (start, end) of the raw attribute value, quotes excluded
        self.quote = '"'
        self.child_text = None        # text of a <value> child element
        self.child_span = None        # (start, end) of that text
        self.end = None               # offset just after the element (its '/>' or '</property>')

    @property
    def current(self):
        return self.value if self.value is not None else self.child_text


class Bean(object):
    def __init__(self, attrs, start, tag_end, empty):
        self.id = attrs.get("id")
        self.name = attrs.get("name")
        self.cls = attrs.get("class")
        self.start = start
        self.tag_end = tag_end
        self.empty = empty
        self.end = None               # offset of '</bean>'
        self.properties = []

    def matches(self, selector):
        if selector in (self.id, self.name, self.cls):
            return True
        return bool(self.cls) and self.cls.rsplit(".", 1)[-1] == selector

    def label(self):
        for what, value in (("id", self.id), ("name", self.name), ("class", self.cls)):
            if value:
                return "%s=%s" % (what, value)
        return "<anonymous bean>"

    def find(self, prop):
        found = [p for p in self.properties if p.name == prop]
        return found[-1] if found else None


class XmlBeansDocument(object):
    """A Spring bean XML file, editable property by property."""

    def __init__(self, text):
        self._data = text.encode("utf-8")
        self.beans = []
        self._scan()

    @classmethod
    def parse(cls, text):
        return cls(text)

    def render(self):
        return self._data.decode("utf-8")

    # -- reading ---------------------------------------------------------------------------
    def _scan(self):
        data = self._data
        parser = expat.ParserCreate(encoding="UTF-8")
        stack = []          # open elements: ("bean", Bean) / ("property", _Property) / other
        beans = []
        open_value = []     # [(property, text start offset, text chunks)] while inside <value>

        def start(name, attrs):
            offset = parser.CurrentByteIndex
            match = _TAG_END.match(data, offset + 1)
            tag_end = match.end()
            empty = match.group(1) == b"/"
            local = _local(name)
            if local == "bean":
                bean = Bean(attrs, offset, tag_end, empty)
                beans.append(bean)
                stack.append(("bean", bean))
            elif local == "property" and stack_bean() is not None and "name" in attrs:
                prop = _Property(attrs["name"], offset, tag_end, empty)
                if "value" in attrs:
                    prop.value = attrs["value"]
                    prop.value_span, prop.quote = _attribute_span(data, offset, tag_end, "value")
                stack_bean().properties.append(prop)
                stack.append(("property", prop))
            elif local == "value" and stack and stack[-1][0] == "property":
                open_value[:] = [(stack[-1][1], tag_end, [])]
                stack.append(("value", None))
            else:
                stack.append((local, None))

        def end(name):
            kind, obj = stack.pop()
            if kind == "bean":
                obj.end = parser.CurrentByteIndex if not obj.empty else obj.tag_end
            elif kind == "property":
                obj.end = (obj.tag_end if obj.empty
                           else data.index(b">", parser.CurrentByteIndex) + 1)
            elif kind == "value" and open_value:
                prop, text_start, chunks = open_value.pop()
                if prop.value is None and prop.child_span is None:
                    prop.child_text = "".join(chunks)
                    prop.child_span = (text_start, parser.CurrentByteIndex)

        def chars(text):
            if open_value:
                open_value[0][2].append(text)

        def stack_bean():
            for kind, obj in reversed(stack):
                if kind == "bean":
                    return obj
            return None

        parser.StartElementHandler = start
        parser.EndElementHandler = end
        parser.CharacterDataHandler = chars
        try:
            parser.Parse(data, True)
        except expat.ExpatError as exc:
            raise XmlBeansError("not well-formed XML: %s" % exc)
        self.beans = beans

    def bean_labels(self):
        return [b.label() for b in self.beans]

    def find_bean(self, prop=None, bean=None):
        """The bean selected by id, name, class or simple class name; without a selector the
        first bean that holds ``prop`` (or the only bean of the file)."""
        if bean is not None:
            found = [b for b in self.beans if b.matches(bean)]
            if not found:
                raise XmlBeansError("no bean %r in the file (beans: %s)"
                                    % (bean, ", ".join(self.bean_labels()) or "none"))
            return found[0]
        if prop is not None:
            holders = [b for b in self.beans if b.find(prop)]
            if holders:
                return holders[0]
        if len(self.beans) == 1:
            return self.beans[0]
        raise XmlBeansError("no bean holds property %r and the file has %d beans; name the bean "
                            "(beans: %s)" % (prop, len(self.beans),
                                             ", ".join(self.bean_labels()) or "none"))

    def get(self, prop, bean=None):
        """The value of ``prop`` (attribute or ``<value>`` text), or None when absent."""
        try:
            target = self.find_bean(prop, bean)
        except XmlBeansError:
            if bean is not None:
                raise
            return None
        found = target.find(prop)
        return found.current if found else None

    def items(self, bean=None):
        target = self.find_bean(None, bean)
        return dict((p.name, p.current) for p in target.properties)

    # -- editing ---------------------------------------------------------------------------
    def set(self, prop, value, bean=None, add_missing=True):
        """Set ``prop`` to ``value`` (a string); returns True when the text changed."""
        value = str(value)
        target = self.find_bean(prop, bean)
        found = target.find(prop)
        if found is not None and found.current == value:
            return False
        if found is None:
            if not add_missing:
                raise XmlBeansError("bean %s has no property %r" % (target.label(), prop))
            self._replace(*self._insertion(target, prop, value))
        elif found.value_span is not None:
            start, end = found.value_span
            self._replace(start, end, escape_attribute(value, found.quote))
        elif found.child_span is not None:
            start, end = found.child_span
            self._replace(start, end, escape_text(value))
        elif found.empty:
            # <property name="x"/>: add the value attribute after the last attribute.
            insert_at = self._data.rindex(b"/", found.start, found.tag_end)
            while self._data[insert_at - 1:insert_at] in (b" ", b"\t", b"\n", b"\r"):
                insert_at -= 1
            self._replace(insert_at, insert_at, ' value="%s"' % escape_attribute(value))
        else:
            raise XmlBeansError("property %r of bean %s has neither a value attribute nor a "
                                "<value> element; refusing to guess" % (prop, target.label()))
        return True

    def _insertion(self, target, prop, value):
        if target.empty:
            raise XmlBeansError("bean %s is an empty element; cannot add property %r"
                                % (target.label(), prop))
        newline = "\r\n" if b"\r\n" in self._data else "\n"
        if target.properties:
            last = target.properties[-1]
            indent = self._indent_of(last.start)
            sibling = self._data[last.start:last.tag_end]
            close = " />" if sibling.endswith(b" />") else "/>"
            anchor = last.end
        else:
            indent = self._indent_of(target.start) + "    "
            close = "/>"
            anchor = target.tag_end
        text = '%s%s<property name="%s" value="%s"%s' % (
            newline, indent, escape_attribute(prop), escape_attribute(value), close)
        return anchor, anchor, text

    def _indent_of(self, offset):
        line_start = self._data.rfind(b"\n", 0, offset) + 1
        prefix = self._data[line_start:offset].decode("utf-8")
        return prefix if not prefix.strip() else ""

    def _replace(self, start, end, text):
        self._data = self._data[:start] + text.encode("utf-8") + self._data[end:]
        self._scan()


def _attribute_span(data, start, tag_end, attr):
    tag = data[start:tag_end].decode("utf-8", "replace")
    for match in _ATTRIBUTE.finditer(tag):
        if _local(match.group(1)) == attr:
            prefix = len(tag[:match.start(2)].encode("utf-8"))
            raw_len = len(match.group(2).encode("utf-8"))
            return (start + prefix + 1, start + prefix + raw_len - 1), match.group(2)[0]
    raise XmlBeansError("cannot locate attribute %r" % attr)


def get_cluster_password(text, bean=None):
    """The ``password`` property of Red5 Pro ``cluster.xml`` (None when absent)."""
    return XmlBeansDocument.parse(text).get("password", bean)


def set_cluster_password(text, password, bean=None):
    """Return ``(new_text, changed)`` with the ``password`` property of ``cluster.xml`` set.

    The property must already exist: adding one to an unknown bean would be a guess.
    """
    doc = XmlBeansDocument.parse(text)
    changed = doc.set("password", password, bean, add_missing=False)
    return doc.render(), changed
