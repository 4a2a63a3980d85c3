#!/usr/bin/env python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Build stand-in vendor archives (TEST DOUBLES) for WCS, Ant Media Server and Red5 Pro.

Usage: build_archives.py OUTDIR [--wcs-version V] [--antmedia-version V] [--red5pro-version V]

Writes into OUTDIR, with each vendor's top directory and file layout:

* ``FlashphonerWebCallServer-<V>.tar.gz``: ``install.sh`` (honours ``-silent``, installs the
  ``webcallserver`` systemd unit) and the server tree laid out as the shipped one (each file
  cites what it follows; ``tests/standins/trees/wcs`` links to the same tree):
  ``conf/flashphoner.properties`` (no ``cdn_*`` key), ``conf/wcs-core.properties`` (the
  ``SERVER OPTIONS`` and ``JVM OPTIONS`` sections, ``-Xmx1024M``, no ``-Xms``) and
  ``conf/cdn_profiles.yml``;
* ``ant-media-server-enterprise-<V>.zip``: top directory ``ant-media-server/`` with the files
  laid out as the shipped server's (each cites the vendor file and commit it follows):
  ``conf/red5.properties``, ``conf/jee-container.xml`` (three cluster blocks, commented out),
  ``webapps/{root,LiveApp,WebRTCAppEE}/WEB-INF/red5-web.properties`` (the applications without
  ``db.user``/``db.password`` lines), the ``change_server_mode.sh`` stand-in (the vendor's
  semantics, edits ``/usr/local/antmedia``), ``antmedia.service``, ``start.sh``;
* ``red5pro-server-<V>.zip``: top directory ``red5pro-server-<V>/`` with ``conf/autoscale.xml``,
  ``conf/cluster.xml``, the node plugins (``plugins/red5pro-autoscale-plugin-<V>.jar``,
  ``plugins/red5pro-webrtc-plugin-<V>.jar``, ``plugins/inspector.jar``), ``webapps/inspector/``,
  the Stream Manager webapp as shipped (``webapps/streammanager/WEB-INF/`` with
  ``red5-web.properties``, ``applicationContext.xml``, ``web.xml``, ``sql/cluster.sql``; the
  sample tree ``trees/red5pro_streammanager/`` links to it), ``red5.sh``; and beside it, as the vendor delivers it apart,
  ``aws-cloud-controller-<V>.jar`` (``manifest.json``: ``red5pro.aws_cloud_controller``);

and ``manifest.json`` (path, version and ``sha256:`` checksum of each archive, the form
``ansible.builtin.get_url`` takes). Every archive carries ``lib/standin_server.py``, a
stdlib-only process that answers the product's health endpoints instead of the Java server.
The archives are byte-for-byte reproducible (fixed timestamps and order), so a second build
gives the same checksums and a second converge downloads nothing.
"""

import argparse
import gzip
import hashlib
import io
import json
import os
import sys
import tarfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SOURCES = os.path.join(HERE, "archives")
FIXED_TIME = (2026, 1, 1, 0, 0, 0)
FIXED_EPOCH = 1767225600  # 2026-01-01T00:00:00Z
EXECUTABLE_NAMES = (".sh", "webcallserver", "standin_server.py")

DEFAULT_VERSIONS = {"wcs": "5.2.1999", "antmedia": "2.11.3", "red5pro": "12.0.0"}


def _collect(source_dir, prefix):
    """Return sorted (archive path, bytes) pairs for every file under source_dir."""
    entries = []
    for root, _dirs, files in os.walk(source_dir):
        for name in files:
            full = os.path.join(root, name)
            rel = os.path.relpath(full, source_dir).replace(os.sep, "/")
            with open(full, "rb") as handle:
                entries.append((prefix + rel, handle.read()))
    return entries


def _is_executable(path):
    return path.endswith(EXECUTABLE_NAMES)


def _server_file():
    with open(os.path.join(SOURCES, "common", "standin_server.py"), "rb") as handle:
        return handle.read()


def wcs_entries(version):
    top = "FlashphonerWebCallServer-%s/" % version
    entries = _collect(os.path.join(SOURCES, "wcs"), top)
    entries.append((top + "server/lib/standin_server.py", _server_file()))
    entries.append((top + "server/VERSION", (version + "\n").encode()))
    return entries


def antmedia_entries(version):
    top = "ant-media-server/"
    # archives/antmedia is also the unit tests' fixture tree; it carries our change_server_mode.sh
    # stand-in, so `method: script` runs the very same stand-in on a host.
    entries = _collect(os.path.join(SOURCES, "antmedia"), top)
    entries.append((top + "lib/standin_server.py", _server_file()))
    entries.append((top + "VERSION", (version + "\n").encode()))
    return entries


def _standin_jar(name, version):
    """A tiny reproducible jar (a zip with a manifest) standing in for a vendor jar."""
    raw = io.BytesIO()
    manifest = ("Manifest-Version: 1.0\r\nImplementation-Title: %s (streamfleet TEST STAND-IN)\r\n"
                "Implementation-Version: %s\r\n\r\n" % (name, version))
    with zipfile.ZipFile(raw, "w", compression=zipfile.ZIP_DEFLATED) as jar:
        info = zipfile.ZipInfo("META-INF/MANIFEST.MF", date_time=FIXED_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o100644 << 16
        jar.writestr(info, manifest)
    return raw.getvalue()


# Jars of a Red5 Pro server zip that make a host a node; a Stream Manager deletes them (Red5 Pro
# docs "Configure and Deploy Stream Manager"; red5pro/terraform-aws-red5pro
# red5pro-installer/r5p_config_stream_manager.sh, commit 3d1ed4dc497c0194f259740704b7eacbe7788ff5).
RED5PRO_NODE_JARS = ("plugins/red5pro-autoscale-plugin-%s.jar", "plugins/red5pro-webrtc-plugin-%s.jar",
                     "plugins/inspector.jar")
# The AWS cloud controller is not in the server zip: the vendor distributes it apart ("Autoscaling
# Library Extensions"), and its installer copies *-cloud-controller-* from the directory it runs in.
RED5PRO_AWS_CONTROLLER = "aws-cloud-controller-%s.jar"


def red5pro_entries(version):
    top = "red5pro-server-%s/" % version
    entries = _collect(os.path.join(SOURCES, "red5pro"), top)
    for pattern in RED5PRO_NODE_JARS:
        path = pattern % version if "%s" in pattern else pattern
        entries.append((top + path, _standin_jar(os.path.basename(path), version)))
    entries.append((top + "lib/standin_server.py", _server_file()))
    entries.append((top + "VERSION", (version + "\n").encode()))
    return entries


def write_tar_gz(path, entries):
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.GNU_FORMAT) as tar:
        dirs = set()
        for name, _data in entries:
            parts = name.split("/")[:-1]
            for index in range(1, len(parts) + 1):
                dirs.add("/".join(parts[:index]))
        members = [(d, None) for d in sorted(dirs)] + sorted(entries)
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.mtime = FIXED_EPOCH
            info.uname = info.gname = "root"
            if data is None:
                info.type = tarfile.DIRTYPE
                info.mode = 0o755
                tar.addfile(info)
            else:
                info.size = len(data)
                info.mode = 0o755 if _is_executable(name) else 0o644
                tar.addfile(info, io.BytesIO(data))
    with open(path, "wb") as handle:
        with gzip.GzipFile(filename="", mode="wb", fileobj=handle, mtime=0) as gz:
            gz.write(raw.getvalue())


def write_zip(path, entries):
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=FIXED_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so that the modes below are honoured by unzip
            info.external_attr = ((0o100755 if _is_executable(name) else 0o100644) << 16)
            archive.writestr(info, data)


def sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(65536), b""):
            digest.update(block)
    return digest.hexdigest()


def build(outdir, versions=None):
    """Build all archives into outdir; return the manifest dict."""
    versions = dict(DEFAULT_VERSIONS, **(versions or {}))
    os.makedirs(outdir, exist_ok=True)
    plan = {
        "wcs": ("FlashphonerWebCallServer-%s.tar.gz", wcs_entries, write_tar_gz),
        "antmedia": ("ant-media-server-enterprise-%s.zip", antmedia_entries, write_zip),
        "red5pro": ("red5pro-server-%s.zip", red5pro_entries, write_zip),
    }
    manifest = {}
    for product, (pattern, entries_of, writer) in sorted(plan.items()):
        version = versions[product]
        path = os.path.join(os.path.abspath(outdir), pattern % version)
        writer(path, entries_of(version))
        manifest[product] = {
            "path": path,
            "filename": os.path.basename(path),
            "version": version,
            "checksum": "sha256:" + sha256(path),
        }
    # Delivered next to the server zip, as the vendor delivers it.
    controller = os.path.join(os.path.abspath(outdir), RED5PRO_AWS_CONTROLLER % versions["red5pro"])
    with open(controller, "wb") as handle:
        handle.write(_standin_jar(os.path.basename(controller), versions["red5pro"]))
    manifest["red5pro"]["aws_cloud_controller"] = {
        "path": controller,
        "filename": os.path.basename(controller),
        "checksum": "sha256:" + sha256(controller),
    }
    with open(os.path.join(outdir, "manifest.json"), "w", encoding="utf-8") as handle:
        json.dump(manifest, handle, indent=2, sort_keys=True)
        handle.write("\n")
    return manifest


def main(argv=None):
    parser = argparse.ArgumentParser(description="Build stand-in vendor archives (test doubles).")
    parser.add_argument("outdir")
    for product, version in sorted(DEFAULT_VERSIONS.items()):
        parser.add_argument("--%s-version" % product, default=version, dest=product)
    args = parser.parse_args(argv)
    manifest = build(args.outdir, {p: getattr(args, p) for p in DEFAULT_VERSIONS})
    json.dump(manifest, sys.stdout, indent=2, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
