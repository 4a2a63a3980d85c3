# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module-side helpers for editing configuration files by key: plan, validate, write, report.

Modules first *plan* every file they will touch (nothing is written, so any validation error
can still fail the module with every file untouched), then *apply* the plans::

    edit = plan_properties_edit(path, updates={"cdn_enabled": "true"}, remove=["old.key"],
                                secret_keys={"config.dbPass"}, equivalent={"cdn_enabled": same_boolean})
    edit2 = plan_jvm_options_edit(path2, set_options=["-Xmx2g"], remove_prefixes=["-Xms"])
    result = apply_edits(module, [edit, edit2], backup=module.params["backup"])
    module.exit_json(**result)

``plan_text_edit(path, transform)`` plans any whole-text edit (the XML edits of
``files/xml_comments.py``).  ``plan_properties_edit`` / ``plan_jvm_options_edit`` return a ``FileEdit``
(``path``, ``before``, ``after``, ``changed``, ``changed_keys``, ``duplicates``, ``diff()``)
and raise ``ConfigEditError`` when the file is missing (unless ``create=True``) or unreadable.
``updates`` maps key -> str (use ``java_value`` to render bools, numbers and lists);
``equivalent`` maps key -> ``callable(current, desired) -> bool`` for values that Java reads
the same although they are spelled differently (``TRUE`` and ``true``).  Keys that are set or
removed are collapsed to one line when duplicated; other duplicated keys are only reported.

Keys matching ``SECRET_LOOKING_KEY`` (``password``, ``secret``, ``token`` ...) are masked in
diffs too, whoever set them.

``apply_edits(module, edits, backup=False)`` writes the changed files (not in check mode; a
file where one of ``secret_keys`` has a value, and its backup, readable by the owner only),
warns about duplicated keys (key names only) and returns
``dict(changed, changed_keys, restart_required, backup_files, diff)`` (``diff`` only when
Ansible runs with ``--diff``; a list with one before/after per file).  The values of
``secret_keys`` never leave the module: the diff shows ``********`` for them, and
``******** (changed)`` on the after side when they changed.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.fileio import read_text, write_atomically
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.jvm_options import JvmOptionsDocument, option_kind
from ansible_collections.streamfleet.cluster.plugins.module_utils.files.properties import DEFAULT_MASK, PropertiesDocument

CHANGED_MASK = DEFAULT_MASK + " (changed)"
# Keys whose values are hidden in diffs even when no option declares them secret.
SECRET_LOOKING_KEY = re.compile(r"(?i)(pass(word|wd)?|secret|token|credential|private)")


class ConfigEditError(Exception):
    """A file cannot be planned (missing, unreadable); the message is safe to show."""


def merge_free_settings(module, settings, updates, removals):
    """Add a module's free ``settings`` dict to the typed ``updates`` and ``removals``.

    A ``None`` value removes the key. Fails (before anything is written) on a malformed key,
    a dict value, or a key that a typed option or ``remove`` already gives.
    """
    for key, value in settings.items():
        if not key or any(c in key for c in "\r\n"):
            module.fail_json(msg="settings: %r is not a valid key" % (key,))
        if key in updates or key in removals:
            module.fail_json(msg="settings: key %r is also given by a typed option or in remove; give it once" % key)
        if value is None:
            removals.append(key)
        elif isinstance(value, dict):
            module.fail_json(msg="settings: the value of %r is a dict; give a string, number, boolean or list" % key)
        else:
            updates[key] = java_value(value)
    for key in removals:
        if key in updates:
            module.fail_json(msg="remove: key %r is also set; give it once" % key)


def java_value(value):
    """Render a Python value the way Java code reads it from a properties file."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ",".join(java_value(item) for item in value)
    if value is None:
        raise ValueError("None has no properties spelling")
    return str(value)


def same_boolean(current, desired):
    """``Boolean.parseBoolean`` ignores case."""
    return current.strip().lower() == desired.strip().lower()


def same_list(current, desired):
    """Comma lists that differ only by spaces around the commas."""
    def split(text):
        return [item.strip() for item in text.split(",") if item.strip()]
    return split(current) == split(desired)


def same_integer(current, desired):
    try:
        return int(current.strip()) == int(desired.strip())
    except ValueError:
        return False


class FileEdit:
    """A planned change of one file (nothing written yet)."""

    def __init__(self, path, before, after, changed_keys, duplicates, collapsed, secret_keys=(), kind="properties",
                 secret_pattern=None):
        self.path = path
        self.before = before
        self.after = after
        self.changed_keys = list(changed_keys)
        self.duplicates = list(duplicates)
        self.collapsed = list(collapsed)
        self.secret_keys = set(secret_keys)
        self.kind = kind
        self.secret_pattern = secret_pattern

    @property
    def changed(self):
        return self.before != self.after

    @property
    def holds_secret(self):
        """The text to write gives one of ``secret_keys`` a value: ``apply_edits`` writes it
        readable by its owner only (a shipped placeholder counts too: it is what the server uses)."""
        if self.kind != "properties" or not self.secret_keys:
            return False
        doc = PropertiesDocument.parse(self.after)
        return any(doc.get(key) for key in self.secret_keys)

    def _masked(self, text, changed_mask):
        if self.kind != "properties":
            return text
        doc = PropertiesDocument.parse(text)
        secret = set(self.secret_keys)
        if self.secret_pattern is not None:
            secret.update(key for key in doc.keys() if self.secret_pattern.search(key))
        masks = {}
        for key in secret:
            masks[key] = changed_mask if (changed_mask and key in self.changed_keys) else DEFAULT_MASK
        return doc.render_masked(masks)

    def diff(self):
        return dict(
            before_header=self.path,
            after_header=self.path,
            before=self._masked(self.before, None),
            after=self._masked(self.after, CHANGED_MASK),
        )

    def warnings(self):
        out = []
        for key in self.duplicates:
            if key in self.collapsed:
                out.append("%s: key '%s' appeared more than once (Java uses the last one); "
                           "collapsed to the last occurrence" % (self.path, key))
            else:
                out.append("%s: key '%s' appears more than once (Java uses the last one); left as is "
                           "because this task does not manage it" % (self.path, key))
        return out


def _read(path, create):
    if not os.path.exists(path):
        if create:
            return ""
        raise ConfigEditError("%s does not exist; check the path (or the server's home directory)" % path)
    if not os.path.isfile(path):
        raise ConfigEditError("%s is not a regular file" % path)
    try:
        return read_text(path)[0]
    except (IOError, OSError) as exc:
        raise ConfigEditError("cannot read %s: %s" % (path, exc.strerror or exc))


def plan_properties_edit(path, updates=None, remove=(), secret_keys=(), equivalent=None, create=False,
                         secret_pattern=SECRET_LOOKING_KEY, uncomment=False):
    """Plan setting ``updates`` and removing ``remove`` in the properties file at ``path``.

    Values of ``secret_keys`` and of keys matching ``secret_pattern`` (None: no pattern) are
    masked in ``diff()``.  With ``uncomment`` an absent key replaces its shipped commented
    default (``#key=...``) in place instead of being appended (``PropertiesDocument.set``).
    """
    before = _read(path, create)
    doc = PropertiesDocument.parse(before)
    equivalent = equivalent or {}
    changed_keys = []
    collapsed = []
    for key, value in (updates or {}).items():
        if key in doc.duplicates:
            collapsed.append(key)
        current = doc.get(key)
        same = equivalent.get(key)
        if current is not None and same is not None and same(current, value):
            changed = doc.collapse_duplicates(key)
        else:
            changed = doc.set(key, value, uncomment=uncomment)
        if changed:
            changed_keys.append(key)
    for key in remove:
        if key in doc.duplicates:
            collapsed.append(key)
        if doc.remove(key):
            changed_keys.append(key)
    return FileEdit(path, before, doc.render(), changed_keys, doc.duplicates, collapsed, secret_keys,
                    secret_pattern=secret_pattern)


def plan_jvm_options_edit(path, set_options=(), remove_prefixes=(), create=False):
    """Plan setting JVM options (replacing options of the same kind) and removing prefixes."""
    before = _read(path, create)
    doc = JvmOptionsDocument.parse(before)
    changed_keys = []
    for option in set_options:
        if doc.set(option):
            changed_keys.append(option_kind(option))
    for prefix in remove_prefixes:
        if doc.remove(prefix):
            changed_keys.append(prefix)
    return FileEdit(path, before, doc.render(), changed_keys, [], [], kind="jvm_options")


def plan_text_edit(path, transform, kind="xml", label=None):
    """Plan an edit of the whole text of ``path`` by ``transform(text) -> (new_text, changed)``.

    ``label`` (default: the file name) is what ``changed_keys`` reports when the text changes.
    ``transform`` raises ``ValueError`` (``XmlEditError`` is one) on bad input; the message
    becomes a ``ConfigEditError`` naming the file.
    """
    before = _read(path, False)
    try:
        after, changed = transform(before)
    except ValueError as exc:
        raise ConfigEditError("%s: %s" % (path, exc))
    changed_keys = [label or os.path.basename(path)] if changed and after != before else []
    return FileEdit(path, before, after, changed_keys, [], [], kind=kind)


def apply_edits(module, edits, backup=False):
    """Write the changed files (not in check mode) and return the common result fields."""
    changed = any(edit.changed for edit in edits)
    backup_files = {}
    for edit in edits:
        for warning in edit.warnings():
            module.warn(warning)
    if not module.check_mode:
        for edit in edits:
            if edit.changed:
                backup_path = write_atomically(module, edit.path, edit.after, backup=backup,
                                               private=edit.holds_secret)
                if backup_path:
                    backup_files[edit.path] = backup_path
    changed_keys = []
    for edit in edits:
        for key in edit.changed_keys:
            if key not in changed_keys:
                changed_keys.append(key)
    result = dict(
        changed=changed,
        changed_keys=changed_keys,
        restart_required=changed,
        backup_files=backup_files,
    )
    if module._diff:
        result["diff"] = [edit.diff() for edit in edits]
    return result
