# -*- coding: utf-8 -*-
"""Expected Ant Media trees, written from the documented semantics of the vendor's mode switch.

Semantics: ant-media/Ant-Media-Server@5130ad8893a2a36d36f167045cf3db41cdf0057c
``src/main/server/change_server_mode.sh`` and ``src/main/server/conf/functions.sh`` (see
docs/config-files.md). The expected files are the shipped-layout fixture
(tests/standins/archives/antmedia, which the stand-in archive ships) with the lines the script replaces spelled out literally here,
independently of plugins/module_utils/servers/antmedia.py.

Also: a runner that puts a tree at /usr/local/antmedia in a private mount namespace, because
the vendor script (and our stand-in of it) edits that path whatever it is given.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[4]
# One tree: the files the stand-in archive ships are the unit tests' fixtures.
TREE = REPO / "tests" / "standins" / "archives" / "antmedia"
APPS = ("LiveApp", "WebRTCAppEE", "root")
SERVER = "conf/red5.properties"
JEE = "conf/jee-container.xml"


def app_path(app):
    return "webapps/%s/WEB-INF/red5-web.properties" % app


SETTINGS_FILES = [SERVER] + [app_path(app) for app in APPS]

PLAIN_URL = "mongodb://ams:s3cr%40t%2Fx@10.0.1.10:27017"
REPLICA_URL = ("mongodb://ams:s3cr%40t%2Fx@10.0.1.10:27017,10.0.2.10:27017,10.0.3.10:27017/"
               "?replicaSet=rs0&authSource=admin&w=majority")
SECRETS = ("s3cr%40t%2Fx", "s3cr@t/x")

# The marker lines of the fixture's jee-container.xml: (indentation, start/end, what follows).
MARKER_LINES = (
    ("\t", "start", ""),
    ("\t", "end", ""),
    ("\t\t", "start", ""),
    ("\t\t", "end", ""),
    ("\t\t\t\t", "start", ""),
    ("\t\t\t\t", "end", " "),  # the shipped third end marker is followed by a space
)
SHIPPED_START, SHIPPED_END = "<!-- cluster start", "cluster end -->"
ACTIVE_START, ACTIVE_END = "<!-- cluster start -->", "<!-- cluster end -->"
# What the standalone switch writes for either start spelling (a space follows it).
STANDALONE_START = "<!-- cluster start "


def fixture_files():
    return dict((rel, (TREE / rel).read_text()) for rel in SETTINGS_FILES + [JEE])


def jee(start, end):
    """The fixture's jee-container.xml with every start marker spelled ``start`` and every end
    marker spelled ``end`` (indentation and what follows each marker kept)."""
    text = (TREE / JEE).read_text()
    out = []
    lines = iter(MARKER_LINES)
    pending = next(lines)
    for line in text.splitlines(True):
        indent, kind, trailer = pending if pending else (None, None, None)
        shipped = indent + (SHIPPED_START if kind == "start" else SHIPPED_END) + trailer + "\n" if pending else None
        if line == shipped:
            out.append(indent + (start if kind == "start" else end) + trailer + "\n")
            pending = next(lines, None)
        else:
            out.append(line)
    assert pending is None, "the fixture lost a cluster marker line"
    return "".join(out)


def tree(url, db_type, start, end):
    """The whole expected tree: database settings for ``url``/``db_type``, markers spelled."""
    files = fixture_files()
    files[SERVER] = files[SERVER].replace("clusterdb.host=localhost\n", "clusterdb.host=%s\n" % url)
    files[app_path("root")] = files[app_path("root")].replace(
        "db.type=mapdb\ndb.host=localhost\n", "db.type=%s\ndb.host=%s\n" % (db_type, url))
    for app in ("LiveApp", "WebRTCAppEE"):
        files[app_path(app)] = files[app_path(app)].replace(
            "db.type=mapdb\ndb.host=\n", "db.type=%s\ndb.host=%s\n" % (db_type, url))
    files[JEE] = jee(start, end)
    return files


def cluster_tree(url):
    return tree(url, "mongodb", ACTIVE_START, ACTIVE_END)


def standalone_tree(url=""):
    return tree(url, "mongodb" if url else "mapdb", STANDALONE_START, SHIPPED_END)


def make_home(root, files=None):
    """A copy of the fixture under ``root``/antmedia, with ``files`` written over it."""
    home = Path(root) / "antmedia"
    shutil.copytree(str(TREE), str(home))
    for rel, text in (files or {}).items():
        (home / rel).write_text(text)
    return home


def snapshot(home):
    return dict((rel, (Path(home) / rel).read_text()) for rel in SETTINGS_FILES + [JEE])


# -- a tree at /usr/local/antmedia, in a private mount namespace ------------------------------
_NAMESPACE = r'''
set -e
work=$1; tree=$2; shift 2
mkdir -p "$work/usr-local"
mount --bind /usr/local "$work/usr-local"
mount -t tmpfs streamfleet-test /usr/local
for entry in "$work"/usr-local/*; do ln -s "$entry" /usr/local/; done
mkdir /usr/local/antmedia
mount --bind "$tree" /usr/local/antmedia
exec "$@"
'''


def namespace_available():
    try:
        done = subprocess.run(["unshare", "-rm", "true"], capture_output=True, timeout=20, check=False)
    except (OSError, subprocess.SubprocessError):
        return False
    return done.returncode == 0


needs_namespace = pytest.mark.skipif(not namespace_available(),
                                     reason="needs unshare (user and mount namespaces)")


def in_vendor_home(work, tree, argv, stdin=""):
    """Run ``argv`` where /usr/local/antmedia is ``tree`` (nothing outside the namespace moves)."""
    os.makedirs(str(work), exist_ok=True)
    return subprocess.run(
        ["unshare", "-rm", "--propagation", "private", "sh", "-c", _NAMESPACE, "sh",
         str(work), str(tree)] + [str(arg) for arg in argv],
        input=stdin, capture_output=True, text=True, timeout=120, check=False,
    )


PYTHON = sys.executable
