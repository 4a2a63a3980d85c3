# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and edit Java ``.properties`` files without losing their layout.

API (other modules code against it; keep it stable)::

    doc = PropertiesDocument.parse(text)
    doc.get(key)            -> str or None   (unescaped value; the last occurrence wins, as in Java)
    doc.set(key, value)     -> bool changed  (value is a str; escaped on write)
    doc.set(key, value, uncomment=True) -> bool changed
                            (when the key is absent but the file ships it as a commented
                            default, ``#key=...`` or ``# key = ...``, that line becomes the
                            key's line, in place; appended only when there is neither)
    doc.commented_default(key) -> str or None (value of the first commented default line)
    doc.remove(key)         -> bool changed  (removes every occurrence)
    doc.render()            -> str           (byte-for-byte the input when nothing was edited)
    doc.render_masked(keys, mask='********') -> str  (values of ``keys`` hidden, for diffs;
                                                      ``keys`` may be a dict key -> mask)
    doc.duplicates          -> list of keys that appeared more than once when parsed
    doc.items()             -> dict key -> value (Java's view of the file)
    doc.keys()              -> list of keys, in file order
    doc.collapse_duplicates(key=None) -> bool changed
    doc.newline             -> the file's dominant line terminator

Layout rules: comments (``#``/``!``), blank lines, order, each line's own separator (``=``,
``:``, whitespace, with the spaces around it), the original escaping of untouched lines,
continuation lines, CRLF and a missing final newline are kept.  Editing a key rewrites its
whole logical line (all its continuation lines) as one physical line with the line's own
indentation, key spelling and separator.  A key that appears several times is collapsed to
its last occurrence (the one Java uses) when it is set or removed; ``duplicates`` lets the
caller warn about it.  New keys are appended at the end with the file's most common separator,
unless ``uncomment=True`` finds the key's commented default: then that comment line is turned
into the key's line where it stands (its indentation, key spelling and separator kept), so the
file reads as the vendor documents it, one active line under its section header.

``set_properties(text, updates, remove=(), uncomment=True) -> (new_text, changed_keys)`` is the
same for callers that hold text, not a document (the boot-time code).
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re
from collections import Counter

__all__ = [
    "PropertiesDocument",
    "escape_key",
    "escape_value",
    "unescape",
    "detect_newline",
    "set_properties",
]

_WHITESPACE = " \t\f"
_PHYSICAL_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)?")
_SPECIAL_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}
_CONTROL_ESCAPES = {"\t": "\\t", "\n": "\\n", "\r": "\\r", "\f": "\\f"}
DEFAULT_MASK = "********"


def detect_newline(text):
    """Return the most common line terminator of ``text`` (``\\n`` when it has none)."""
    counts = Counter()
    for match in re.finditer(r"\r\n|\r|\n", text):
        counts[match.group(0)] += 1
    if not counts:
        return "\n"
    # Ties go to \n, then \r\n: the usual styles.
    order = {"\n": 0, "\r\n": 1, "\r": 2}
    return sorted(counts.items(), key=lambda item: (-item[1], order[item[0]]))[0][0]


def unescape(raw):
    """Decode Java properties escapes (``\\uXXXX``, ``\\t``, ``\\=`` ...) like ``Properties.load``."""
    if "\\" not in raw:
        return raw
    out = []
    i = 0
    length = len(raw)
    while i < length:
        char = raw[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        i += 1
        if i >= length:
            break  # a lone trailing backslash means nothing
        char = raw[i]
        if char == "u" and re.match(r"[0-9a-fA-F]{4}", raw[i + 1:i + 5]):
            out.append(chr(int(raw[i + 1:i + 5], 16)))
            i += 5
            continue
        out.append(_SPECIAL_ESCAPES.get(char, char))
        i += 1
    # Java reads \uD83D\uDE00 as one supplementary character.
    return _join_surrogates("".join(out))


def _join_surrogates(text):
    if not re.search("[\ud800-\udbff][\udc00-\udfff]", text):
        return text
    return re.sub(
        "[\ud800-\udbff][\udc00-\udfff]",
        lambda m: chr(0x10000 + ((ord(m.group(0)[0]) - 0xD800) << 10) + (ord(m.group(0)[1]) - 0xDC00)),
        text,
    )


def _escape_char(char):
    if char in _CONTROL_ESCAPES:
        return _CONTROL_ESCAPES[char]
    if char == "\\":
        return "\\\\"
    code = ord(char)
    if code < 0x20 or code > 0x7E:
        # Keep files ASCII: Properties.load(InputStream) reads ISO-8859-1, so \\uXXXX is the
        # only spelling every reader agrees on.
        if code > 0xFFFF:
            code -= 0x10000
            return "\\u%04X\\u%04X" % (0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF))
        return "\\u%04X" % code
    return char


def escape_key(key):
    """Spell ``key`` so that Java reads it back unchanged."""
    out = []
    for index, char in enumerate(key):
        if char in "=: ":
            out.append("\\" + char)
        elif index == 0 and char in "#!":
            out.append("\\" + char)
        else:
            out.append(_escape_char(char))
    return "".join(out)


def escape_value(value):
    """Spell ``value`` so that Java reads it back unchanged (``&``, ``/``, ``=``, ``:`` stay literal)."""
    out = []
    leading = True
    for char in value:
        if leading and char == " ":
            out.append("\\ ")
            continue
        leading = False
        out.append(_escape_char(char))
    return "".join(out)


def _trailing_backslashes(text):
    return len(text) - len(text.rstrip("\\"))


def _split_terminator(line):
    for terminator in ("\r\n", "\r", "\n"):
        if line.endswith(terminator):
            return line[:-len(terminator)], terminator
    return line, ""


class _Entry:
    """One logical line: a comment/blank line (``key is None``) or a property."""

    __slots__ = ("raw", "key", "value", "indent", "key_raw", "sep", "eol")

    def __init__(self, raw, key=None, value=None, indent="", key_raw="", sep="", eol=""):
        self.raw = raw
        self.key = key
        self.value = value
        self.indent = indent
        self.key_raw = key_raw
        self.sep = sep
        self.eol = eol

    def rewrite(self, value, default_sep):
        self.value = value
        sep = self.sep or default_sep
        self.sep = sep
        self.raw = self.indent + self.key_raw + sep + escape_value(value) + self.eol

    def masked(self, mask):
        return self.indent + self.key_raw + (self.sep or "=") + mask + self.eol


def _parse_logical(logical):
    """Split a logical line (continuations joined) into indent, key_raw, sep, value_raw."""
    stripped = logical.lstrip(_WHITESPACE)
    indent = logical[:len(logical) - len(stripped)]
    i = 0
    length = len(stripped)
    while i < length:
        char = stripped[i]
        if char == "\\":
            i += 2
            continue
        if char in "=:" or char in _WHITESPACE:
            break
        i += 1
    i = min(i, length)
    key_raw = stripped[:i]
    j = i
    while j < length and stripped[j] in _WHITESPACE:
        j += 1
    if j < length and stripped[j] in "=:":
        j += 1
        while j < length and stripped[j] in _WHITESPACE:
            j += 1
    return indent, key_raw, stripped[i:j], stripped[j:]


# A comment that is a disabled assignment: one '#' or '!', optional spaces, then key=value or
# key:value.  Prose comments ("# aws.defaultzone is the region") have no '='/':' right after the
# key and are never taken for a default.
_COMMENTED_ASSIGNMENT = re.compile(r"^([ \t\f]*)[#!][ \t\f]*(?=[^#!\s])")


def _commented_assignment(entry):
    """``(indent, key, key_raw, sep, value)`` when a comment line is ``#key=value``, else None."""
    if entry.key is not None:
        return None
    content, _eol = _split_terminator(entry.raw)
    match = _COMMENTED_ASSIGNMENT.match(content)
    if not match:
        return None
    body = content[match.end():]
    _indent, key_raw, sep, value_raw = _parse_logical(body)
    if not key_raw or "=" not in sep and ":" not in sep:
        return None
    return match.group(1), unescape(key_raw), key_raw, sep, unescape(value_raw)


class PropertiesDocument:
    """An editable ``.properties`` file; see the module docstring for the rules."""

    def __init__(self, entries, newline):
        self._entries = entries
        self.newline = newline
        seen = Counter(entry.key for entry in entries if entry.key is not None)
        self.duplicates = []
        for entry in entries:
            if entry.key is not None and seen[entry.key] > 1 and entry.key not in self.duplicates:
                self.duplicates.append(entry.key)

    @classmethod
    def parse(cls, text):
        physical = [line for line in _PHYSICAL_LINE.findall(text) if line]
        entries = []
        index = 0
        while index < len(physical):
            line = physical[index]
            content, eol = _split_terminator(line)
            first = content.lstrip(_WHITESPACE)
            if not first or first[0] in "#!":
                entries.append(_Entry(line))
                index += 1
                continue
            raw = line
            logical = content
            index += 1
            # An odd number of trailing backslashes continues the line; the next line's
            # leading whitespace is dropped (Java's rule).
            while _trailing_backslashes(logical) % 2 == 1:
                logical = logical[:-1]
                if index >= len(physical):
                    break
                nxt = physical[index]
                raw += nxt
                nxt_content, eol = _split_terminator(nxt)
                logical += nxt_content.lstrip(_WHITESPACE)
                index += 1
            indent, key_raw, sep, value_raw = _parse_logical(logical)
            entries.append(_Entry(raw, unescape(key_raw), unescape(value_raw), indent, key_raw, sep, eol))
        return cls(entries, detect_newline(text))

    # -- reading ---------------------------------------------------------------------------
    def _positions(self, key):
        return [i for i, entry in enumerate(self._entries) if entry.key == key]

    def get(self, key):
        positions = self._positions(key)
        return self._entries[positions[-1]].value if positions else None

    def __contains__(self, key):
        return bool(self._positions(key))

    def keys(self):
        out = []
        for entry in self._entries:
            if entry.key is not None and entry.key not in out:
                out.append(entry.key)
        return out

    def items(self):
        result = {}
        for entry in self._entries:
            if entry.key is not None:
                result[entry.key] = entry.value
        return result

    def render(self):
        return "".join(entry.raw for entry in self._entries)

    def render_masked(self, keys, mask=DEFAULT_MASK):
        """Render with the values of ``keys`` hidden; ``keys`` may map key -> its own mask."""
        masks = dict(keys) if isinstance(keys, dict) else dict.fromkeys(keys, mask)
        return "".join(entry.masked(masks[entry.key]) if entry.key in masks else entry.raw for entry in self._entries)

    # -- editing ---------------------------------------------------------------------------
    def default_separator(self):
        """The separator most property lines use (``=`` for a file without any)."""
        counts = Counter(entry.sep for entry in self._entries if entry.key is not None and entry.sep)
        if not counts:
            return "="
        best = max(counts.values())
        for entry in self._entries:  # first-seen among the most common ones
            if entry.key is not None and counts.get(entry.sep) == best:
                return entry.sep
        return "="  # pragma: no cover

    def _drop(self, position):
        removed = self._entries.pop(position)
        if not removed.raw.endswith(("\n", "\r")) and position == len(self._entries) and self._entries:
            # The file ended without a newline: keep it that way.
            last = self._entries[-1]
            content, eol = _split_terminator(last.raw)
            last.raw = content
            last.eol = ""

    def collapse_duplicates(self, key=None):
        """Keep only the last occurrence of ``key`` (of every key when None)."""
        keys = [key] if key is not None else list(self.duplicates)
        changed = False
        for name in keys:
            positions = self._positions(name)
            for position in reversed(positions[:-1]):
                self._drop(position)
                changed = True
        return changed

    def _commented_position(self, key):
        for index, entry in enumerate(self._entries):
            found = _commented_assignment(entry)
            if found is not None and found[1] == key:
                return index, found
        return None, None

    def commented_default(self, key):
        """The value of the first ``#key=value`` comment line (None when there is none)."""
        found = self._commented_position(key)[1]
        return found[4] if found else None

    def set(self, key, value, uncomment=False):
        """Set ``key``; with ``uncomment`` an absent key takes the place of its commented default."""
        if not isinstance(value, str):
            raise TypeError("properties values are strings, got %r" % type(value).__name__)
        changed = self.collapse_duplicates(key)
        positions = self._positions(key)
        if positions:
            entry = self._entries[positions[-1]]
            if entry.value == value:
                return changed
            entry.rewrite(value, self.default_separator())
            return True
        if uncomment:
            index, found = self._commented_position(key)
            if found is not None:
                indent, _key, key_raw, sep, _value = found
                _content, eol = _split_terminator(self._entries[index].raw)
                entry = _Entry("", key, value, indent, key_raw, sep, eol)
                entry.rewrite(value, sep)
                self._entries[index] = entry
                return True
        sep = self.default_separator()
        if self._entries and not self._entries[-1].raw.endswith(("\n", "\r")):
            last = self._entries[-1]
            if last.key is not None and _trailing_backslashes(last.raw) % 2 == 1:
                # A dangling continuation at the end of the file would swallow the new line.
                last.rewrite(last.value, sep)
            last.raw += self.newline
            last.eol = self.newline
        entry = _Entry("", key, value, "", escape_key(key), sep, self.newline)
        entry.rewrite(value, sep)
        self._entries.append(entry)
        return True

    def remove(self, key):
        positions = self._positions(key)
        for position in reversed(positions):
            self._drop(position)
        return bool(positions)


def set_properties(text, updates, remove=(), uncomment=True):
    """Return ``(new_text, changed_keys)`` with ``updates`` (key -> str) set and ``remove`` removed.

    Commented defaults are uncommented in place unless ``uncomment`` is False.  The text comes
    back byte for byte when nothing changed.
    """
    doc = PropertiesDocument.parse(text)
    changed_keys = []
    for key, value in updates.items():
        if doc.set(key, value, uncomment=uncomment):
            changed_keys.append(key)
    for key in remove:
        if doc.remove(key):
            changed_keys.append(key)
    return doc.render(), changed_keys
