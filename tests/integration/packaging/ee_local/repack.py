"""Repack a collection installed by the `ansible` pip package as a tarball ansible-galaxy installs.

The package leaves out files (CI, tests) that the collection's FILES.json still lists, so the
installed tree does not verify as an artifact. The tarball lists what is there: FILES.json is
rewritten and MANIFEST.json gets its new checksum.

    python repack.py <installed collection dir> <output .tar.gz>
"""
import hashlib
import io
import json
import os
import sys
import tarfile


def repack(src, out):
    with open(os.path.join(src, "FILES.json")) as handle:
        files = json.load(handle)
    files["files"] = [f for f in files["files"] if f["name"] == "." or (
        os.path.lexists(os.path.join(src, f["name"])) and "__pycache__" not in f["name"])]
    files_json = json.dumps(files, indent=True, sort_keys=True).encode()
    with open(os.path.join(src, "MANIFEST.json")) as handle:
        manifest = json.load(handle)
    manifest["file_manifest_file"]["chksum_sha256"] = hashlib.sha256(files_json).hexdigest()
    manifest_json = json.dumps(manifest, indent=True, sort_keys=True).encode()
    with tarfile.open(out, "w:gz") as tar:
        for name, data in (("MANIFEST.json", manifest_json), ("FILES.json", files_json)):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
        for entry in files["files"]:
            if entry["name"] != ".":
                tar.add(os.path.join(src, entry["name"]), arcname=entry["name"], recursive=False)


if __name__ == "__main__":
    repack(sys.argv[1], sys.argv[2])
