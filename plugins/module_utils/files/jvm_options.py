# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edit JVM options files that hold one option a line (WCS ``conf/wcs-core.properties``).

API::

    doc = JvmOptionsDocument.parse(text)
    doc.options()             -> list of options in file order (comments and blanks left out)
    doc.find(prefix)          -> list of options starting with ``prefix``
    doc.set(option)           -> bool changed   ensure ``option`` is present once; options of the
                                                same kind (``option_kind``) are replaced by it
    doc.add(option)           -> alias of ``set``
    doc.remove(prefix)        -> bool changed   remove every option starting with ``prefix``
    doc.render()              -> str            byte-for-byte the input when nothing was edited
    option_kind(option)       -> the prefix that identifies what an option sets:
        ``-Xmx2g`` -> ``-Xmx``; ``-Dfoo=bar`` -> ``-Dfoo=``; ``-XX:+UseG1GC`` -> ``-XX:?UseG1GC``
        (matches both ``+`` and ``-``); ``-XX:MaxGCPauseMillis=200`` -> ``-XX:MaxGCPauseMillis=``;
        anything else is its own kind.
    parse_memory_size(text)   -> bytes, or raises ValueError (``512m``, ``2g``, ``1048576``)

Comments (``#``), blank lines, order and line endings are kept.  When an option is replaced,
its last occurrence keeps its place (the JVM uses the last one) and earlier ones are dropped.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.properties import detect_newline

_MEMORY_OPTIONS = ("-Xmx", "-Xms", "-Xmn", "-Xss")
_MEMORY_SIZE = re.compile(r"^([1-9][0-9]*)([kKmMgGtT]?)$")
_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3, "t": 1024 ** 4}
_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")


def parse_memory_size(text):
    """Return the size in bytes of a JVM memory size such as ``1024m`` or ``2g``."""
    match = _MEMORY_SIZE.match(str(text).strip())
    if not match:
        raise ValueError("%r is not a JVM memory size (a whole number with an optional k, m, g or t unit)" % (text,))
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def option_kind(option):
    """The prefix naming what ``option`` sets; see the module docstring."""
    for prefix in _MEMORY_OPTIONS:
        if option.startswith(prefix):
            return prefix
    if option.startswith("-D"):
        name = option.split("=", 1)[0]
        return name + "="
    if option.startswith("-XX:"):
        body = option[4:]
        if body[:1] in ("+", "-"):
            return "-XX:?" + body[1:]
        return "-XX:" + body.split("=", 1)[0] + "="
    return option


def _kind_matches(kind, option):
    if kind.startswith("-XX:?"):
        return option[:4] == "-XX:" and option[4:5] in ("+", "-") and option[5:] == kind[5:]
    if kind.endswith("=") and kind.startswith("-D"):
        return option == kind[:-1] or option.startswith(kind)
    if kind in _MEMORY_OPTIONS or kind.endswith("="):
        return option.startswith(kind)
    return option == kind


class _Line:
    __slots__ = ("raw", "option")

    def __init__(self, raw):
        self.raw = raw
        content = raw.rstrip("\r\n").strip()
        self.option = content if content and not content.startswith("#") else None


class JvmOptionsDocument:
    def __init__(self, lines, newline):
        self._lines = lines
        self.newline = newline

    @classmethod
    def parse(cls, text):
        return cls([_Line(raw) for raw in _PHYSICAL_LINE.findall(text) if raw], detect_newline(text))

    def render(self):
        return "".join(line.raw for line in self._lines)

    def options(self):
        return [line.option for line in self._lines if line.option is not None]

    def find(self, prefix):
        return [option for option in self.options() if option.startswith(prefix)]

    def _drop(self, index):
        removed = self._lines.pop(index)
        if index == len(self._lines) and self._lines and not removed.raw.endswith(("\n", "\r")):
            self._lines[-1].raw = self._lines[-1].raw.rstrip("\r\n")

    def set(self, option):
        option = option.strip()
        if not option or option.startswith("#") or any(c.isspace() for c in option):
            raise ValueError("%r is not a single JVM option" % (option,))
        kind = option_kind(option)
        matches = [i for i, line in enumerate(self._lines) if line.option is not None and _kind_matches(kind, line.option)]
        changed = False
        for index in reversed(matches[:-1]):
            self._drop(index)
            changed = True
        if matches:
            line = self._lines[matches[-1] - (len(matches) - 1)]
            if line.option == option:
                return changed
            content = line.raw.rstrip("\r\n")
            eol = line.raw[len(content):]
            indent = content[:len(content) - len(content.lstrip())]
            line.raw = indent + option + eol
            line.option = option
            return True
        if self._lines and not self._lines[-1].raw.endswith(("\n", "\r")):
            self._lines[-1].raw += self.newline
        self._lines.append(_Line(option + self.newline))
        return True

    add = set

    def remove(self, prefix):
        matches = [i for i, line in enumerate(self._lines) if line.option is not None and line.option.startswith(prefix)]
        for index in reversed(matches):
            self._drop(index)
        return bool(matches)
