# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read and write configuration files safely.

API (other modules code against it; keep it stable)::

    read_text(path) -> (text, newline_style)
        Bytes are decoded as UTF-8 with ``surrogateescape``, so any file (Latin-1 included)
        round-trips byte for byte through ``write_atomically``.  ``newline_style`` is the
        file's most common line terminator (``"\\n"`` for a file without any).
    write_atomically(module, path, text, backup=False, mode=None, private=False) -> backup path or None
        Writes ``text`` to a temporary file in the same directory, fsyncs it and renames it
        over ``path`` so that readers see the old or the new file, never a partial one.
        An existing file keeps its owner, group and mode (``module.atomic_move`` also keeps
        its SELinux context); a new file gets ``mode`` (default 0644 minus the umask).
        With ``backup=True`` and an existing file, ``module.backup_local`` copies it first and
        its path is returned.  ``private=True`` (the text holds a secret): the file, and its
        backup, keep only the owner's permissions.  ``module`` may be None (plain
        ``os.replace``) for non-module use: the boot command (``boot/cli.py``, run at boot
        with plain ``python3``) writes that way.

Standard library only: this file is installed on images by the ``server_boot`` role and must
never import Ansible.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile

from ansible_collections.streamfleet.cluster.plugins.module_utils.files.properties import detect_newline

ENCODING = "utf-8"
ERRORS = "surrogateescape"


def read_text(path):
    """Return ``(text, newline_style)`` of the file at ``path``."""
    with open(path, "rb") as handle:
        data = handle.read()
    text = data.decode(ENCODING, ERRORS)
    return text, detect_newline(text)


def _fsync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(module, path, text, backup=False, mode=None, private=False):
    """Replace ``path`` with ``text`` atomically; return the backup path or None.

    ``private``: the file holds a secret; group and others lose every permission on it (the
    owner keeps its own).
    """
    path = os.path.abspath(path)
    directory = os.path.dirname(path)
    existing = os.stat(path) if os.path.exists(path) else None
    backup_path = None
    keep = 0o7700 if private else 0o7777
    if private and existing is not None:
        # First, so that neither the backup copy nor the file's last moments are readable by others;
        # atomic_move also gives the new file the mode of the one it replaces.
        os.chmod(path, existing.st_mode & keep)
    if backup and existing is not None:
        if module is None:
            raise ValueError("backup needs an AnsibleModule")
        backup_path = module.backup_local(path)
        if private:
            # The old text may hold the secret too, whatever mode the copy was made with.
            os.chmod(backup_path, existing.st_mode & keep)

    fd, tmp_path = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(text.encode(ENCODING, ERRORS))
            handle.flush()
            os.fsync(handle.fileno())
        if existing is not None:
            os.chmod(tmp_path, existing.st_mode & keep)
            if (existing.st_uid, existing.st_gid) != (os.getuid(), os.getgid()):
                try:
                    os.chown(tmp_path, existing.st_uid, existing.st_gid)
                except OSError:
                    pass  # not root: atomic_move tries again and reports what it cannot do
        else:
            if mode is None:
                umask = os.umask(0)
                os.umask(umask)
                mode = 0o644 & ~umask
            mode &= keep
            os.chmod(tmp_path, mode)
        if module is not None:
            module.atomic_move(tmp_path, path)
        else:
            os.replace(tmp_path, path)
        if existing is None:
            os.chmod(path, mode)  # atomic_move applies its own default to new files
    finally:
        if os.path.exists(tmp_path):
            os.unlink(tmp_path)
    _fsync_directory(directory)
    return backup_path
