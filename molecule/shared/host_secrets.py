"""Where a scenario's secrets are on a test host (issue 21, item 5), for the testinfra verifiers.

``files_holding(host, secrets)`` searches the host's file system (``ROOTS``: configuration,
installed software, cloud-init's copies of user data, temporary directories, root's and the
users' home directories, logs) for every secret in each form it could be written in (as is,
percent-encoded, JSON-escaped, base64 at the three alignments it can have in a longer text) and
returns the files that hold one, with their mode and owner; ``leaked(found, owners)`` keeps those
that are not a mode-0600/0400 file of an allowed owner (``leaks(...)``: search, then that). The
secrets go to the host on standard input (``podman exec -i``), never on a command line. /proc, /sys, /dev, /run and the database files
are not searched (the database holds the password hashes, and its files are the server's).

Not a scenario (no molecule.yml): scripts/molecule.sh and Molecule's glob pass it over.
"""

import base64
import json
import subprocess
from urllib.parse import quote, quote_plus

ROOTS = ("/etc", "/opt", "/usr/local", "/var/lib/cloud", "/tmp", "/var/tmp", "/root", "/home", "/srv", "/var/log")
SKIP = ("/proc", "/sys", "/dev", "/run", "/var/lib/mongodb", "/var/log/journal")
MAX_BYTES = 8 * 1024 * 1024

# Runs on the test host (Python 3.8): reads {"forms": [[label, text], ...], "roots": [...],
# "skip": [...]} on standard input, prints [[path, mode, owner, [labels]], ...].
SEARCH = r"""
import json, os, pwd, stat, sys
req = json.load(sys.stdin)
forms = [(label, text.encode()) for label, text in req["forms"]]
skip = tuple(req["skip"])
found = []
for root in req["roots"]:
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if not os.path.join(folder, d).startswith(skip)]
        for name in files:
            path = os.path.join(folder, name)
            try:
                info = os.lstat(path)
                if not stat.S_ISREG(info.st_mode) or info.st_size > req["max_bytes"]:
                    continue
                with open(path, "rb") as handle:
                    data = handle.read()
            except OSError:
                continue
            labels = sorted(set(label for label, text in forms if text in data))
            if labels:
                try:
                    owner = pwd.getpwuid(info.st_uid).pw_name
                except KeyError:
                    owner = str(info.st_uid)
                found.append([path, stat.S_IMODE(info.st_mode), owner, labels])
print(json.dumps(found))
"""


def _base64_cores(secret):
    data = secret.encode()
    cores = set()
    for offset in range(3):
        encoded = base64.b64encode(b"\0" * offset + data).decode().rstrip("=")
        core = encoded[(offset * 8 + 5) // 6:((offset + len(data)) * 8) // 6]
        if len(core) >= 6:
            cores.add(core)
    return cores


def forms(secret):
    """Every text ``secret`` can appear as in a file."""
    found = {secret, quote(secret, safe=""), quote(secret), quote_plus(secret), json.dumps(secret)[1:-1]}
    return found | _base64_cores(secret)


def files_holding(host, secrets, roots=ROOTS, skip=SKIP):
    """``[(path, mode, owner, [labels])]``: the files of ``host`` holding a form of a secret of
    ``secrets`` (``{label: secret}``)."""
    request = {"forms": [[label, form] for label, secret in sorted(secrets.items()) for form in sorted(forms(secret))],
               "roots": list(roots), "skip": list(skip), "max_bytes": MAX_BYTES}
    result = subprocess.run(["podman", "exec", "-i", host.backend.get_hostname(), "python3", "-c", SEARCH],
                            input=json.dumps(request), capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 0, result.stderr
    return [tuple(entry) for entry in json.loads(result.stdout)]


def leaked(found, owners=("root",)):
    """Of ``found`` (what ``files_holding`` answered), the files that are not mode 0600/0400
    files of one of ``owners``, each as ``"path (mode 0644, owner x): labels"``."""
    return ["%s (mode %04o, owner %s): %s" % (path, mode, owner, ", ".join(labels))
            for path, mode, owner, labels in found
            if mode & 0o077 or owner not in owners]


def leaks(host, secrets, owners=("root",), roots=ROOTS, skip=SKIP):
    """``leaked`` of a new search of ``host``."""
    return leaked(files_holding(host, secrets, roots, skip), owners)
