# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Edit JVM options files that hold one option a line (WCS ``conf/wcs-core.properties``).

API::

    doc = JvmOptionsDocument.parse(text)
    doc.options()             -> list of options in file order (comments and blanks left out)
    doc.find(prefix)          -> list of options starting with ``prefix``
    doc.set(option, after=None) -> bool changed ensure ``option`` is present once; options of the
                                                same kind (``option_kind``) are replaced by it
                                                where the last of them stands; a new option goes
                                                on its own line after the last option of the kind
                                                of ``after`` (default for ``-Xms``: after ``-Xmx``,
                                                and the reverse), else at the end
    doc.add(option)           -> alias of ``set``
    doc.remove(prefix)        -> bool changed   remove every option starting with ``prefix``
    doc.render()              -> str            byte-for-byte the input when nothing was edited
    option_kind(option)       -> the prefix that identifies what an option sets:
        ``-Xmx2g`` -> ``-Xmx``; ``-Dfoo=bar`` -> ``-Dfoo=``; ``-XX:+UseG1GC`` -> ``-XX:?UseG1GC``
        (matches both ``+`` and ``-``); ``-XX:MaxGCPauseMillis=200`` -> ``-XX:MaxGCPauseMillis=``;
        anything else is its own kind.
    parse_memory_size(text)   -> bytes, or raises ValueError (``512m``, ``2g``, ``1048576``)

Comments (``#``), blank lines, order and line endings are kept.  A line may hold several
options separated by spaces, as WCS's ``bin/setenv.sh`` reads them; each is edited on its own.
Lines starting with ``#`` are never options, so WCS's section headers (``### SERVER OPTIONS ###``,
``### JVM OPTIONS ###``) stay where they are.  When an option is replaced, its last occurrence
keeps its place (the JVM uses the last one) and earlier ones are dropped.  Appending puts a new
option at the end, which in WCS's shipped file is its JVM section.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.properties import detect_newline

_MEMORY_OPTIONS = ("-Xmx", "-Xms", "-Xmn", "-Xss")
# A new heap bound goes next to the other one (WCS ships -Xmx alone, in its JVM section).
_NEIGHBOUR = {"-Xms": "-Xmx", "-Xmx": "-Xms"}
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
    __slots__ = ("raw", "options")

    def __init__(self, raw):
        self.raw = raw
        self.options = _tokens(raw)

    def rewrite(self, options):
        """Write ``options`` on this line, keeping its indentation and line ending."""
        content = self.raw.rstrip("\r\n")
        eol = self.raw[len(content):]
        indent = content[:len(content) - len(content.lstrip())]
        self.raw = indent + " ".join(options) + eol
        self.options = list(options)


def _tokens(raw):
    # A "#" line is a comment, and so are WCS's section headers ("### JVM OPTIONS ###"):
    # the vendor's bin/setenv.sh takes only lines starting with "-" and splits them on
    # whitespace, so one line may hold several options ("-XX:NewSize=256m -XX:MaxNewSize=256m").
    content = raw.strip()
    if not content or content.startswith("#"):
        return []
    return content.split()


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
        return [option for line in self._lines for option in line.options]

    def find(self, prefix):
        return [option for option in self.options() if option.startswith(prefix)]

    def _matches(self, test):
        return [(i, j) for i, line in enumerate(self._lines) for j, option in enumerate(line.options) if test(option)]

    def _drop_line(self, index):
        removed = self._lines.pop(index)
        if index == len(self._lines) and self._lines and not removed.raw.endswith(("\n", "\r")):
            self._lines[-1].raw = self._lines[-1].raw.rstrip("\r\n")

    def _drop(self, matches):
        """Remove the options at ``matches`` (``(line, position)`` pairs); a line left empty goes."""
        for index in sorted(set(i for i, _position in matches), reverse=True):
            line = self._lines[index]
            positions = set(j for i, j in matches if i == index)
            kept = [option for j, option in enumerate(line.options) if j not in positions]
            if kept:
                line.rewrite(kept)
            else:
                self._drop_line(index)

    def _insert(self, index, option):
        if index == len(self._lines) and self._lines and not self._lines[-1].raw.endswith(("\n", "\r")):
            self._lines[-1].raw += self.newline
        self._lines.insert(index, _Line(option + self.newline))

    def set(self, option, after=None):
        """Ensure ``option`` once; see the module docstring for where it goes."""
        option = option.strip()
        if not option or option.startswith("#") or any(c.isspace() for c in option):
            raise ValueError("%r is not a single JVM option" % (option,))
        kind = option_kind(option)
        matches = self._matches(lambda candidate: _kind_matches(kind, candidate))
        if matches:
            keep_line, keep_pos = matches[-1]
            line = self._lines[keep_line]
            changed = line.options[keep_pos] != option
            if changed:
                options = list(line.options)
                options[keep_pos] = option
                line.rewrite(options)
            if len(matches) > 1:
                self._drop(matches[:-1])
                changed = True
            return changed
        index = len(self._lines)
        if after is None:
            after = _NEIGHBOUR.get(kind)
        if after is not None:
            anchors = self._matches(lambda candidate: _kind_matches(option_kind(after), candidate))
            if anchors:
                index = anchors[-1][0] + 1
        self._insert(index, option)
        return True

    add = set

    def remove(self, prefix):
        matches = self._matches(lambda candidate: candidate.startswith(prefix))
        self._drop(matches)
        return bool(matches)
