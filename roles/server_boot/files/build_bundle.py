# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Bundle the collection's boot code into one zip file that Python imports from (zipimport).

    build_bundle.py MODULE_UTILS_DIR OUTPUT.zip boot/cli.py files/properties.py ...

Run on the controller by the server_boot role. The zip holds
``ansible_collections/streamfleet/cluster/plugins/module_utils/<file>`` for each file given,
plus an empty ``__init__.py`` in every package directory that has none, so the code imports
itself by its usual names, and a ``__main__.py`` that runs the boot command: ``python3 BUNDLE``
runs it (Python puts the zip itself first on the import path). Entries are sorted, stored uncompressed, dated 1980-01-01 and mode
0644: the same files give the same bytes, so copying the bundle to a host is idempotent.
Standard library only.
"""

import os
import sys
import zipfile

PACKAGE = "ansible_collections/streamfleet/cluster/plugins/module_utils"
MAIN = (b"import sys\n\n"
        b"from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.cli import main\n\n"
        b"sys.exit(main())\n")
FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def entries(source, files):
    found = {}
    for rel in files:
        if rel.startswith("/") or ".." in rel.split("/") or not rel.endswith(".py"):
            raise SystemExit("build_bundle.py: %r is not a .py path below module_utils" % rel)
        with open(os.path.join(source, rel), "rb") as handle:
            found["%s/%s" % (PACKAGE, rel)] = handle.read()
    for name in list(found):
        parts = name.split("/")[:-1]
        for depth in range(1, len(parts) + 1):
            found.setdefault("/".join(parts[:depth]) + "/__init__.py", b"")
    found["__main__.py"] = MAIN
    return found


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    source, output, files = argv[0], argv[1], argv[2:]
    tmp = output + ".tmp"
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_STORED) as bundle:
        for name, data in sorted(entries(source, files).items()):
            info = zipfile.ZipInfo(name, FIXED_TIME)
            info.external_attr = 0o100644 << 16
            bundle.writestr(info, data)
    os.replace(tmp, output)


if __name__ == "__main__":
    main(sys.argv[1:])
