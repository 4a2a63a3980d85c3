# -*- coding: utf-8 -*-
# Copyright: streamfleet maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drain agent's last step on an Ant Media cluster node: leave the cluster database.

Ant Media Server rewrites its own ``clusternode`` document every 5 s while it runs and never
removes it (see ``servers/antmedia_cluster_db.py`` for the layout and its source). So, once the
sessions are gone (or the maximum drain time passed) and before CompleteLifecycleAction:

1. stop the server (``systemctl stop antmedia``, bounded), so nothing writes the document again;
2. delete the documents whose ``ip`` is one of this node's addresses (private, and public for
   ``server.useGlobalIp=true``) from ``clusterdb.clusternode``, with the MongoDB URL the server
   itself uses: ``clusterdb.host`` of ``conf/red5.properties`` (where ``antmedia_cluster_mode``
   and ``streamfleet-boot antmedia-cluster-mode`` write it).

Nothing here stops the lifecycle action: no cluster URL (standalone), a stop that fails, no
pymongo (``python3-pymongo``, installed by the antmedia role for cluster mode) or an unreachable
database is logged and the agent completes anyway; ``playbooks/antmedia_cleanup_nodes.yml``
removes what is left. The URL (it holds the password) is never logged.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import subprocess

from ansible_collections.streamfleet.cluster.plugins.module_utils.boot.metadata import MetadataError
from ansible_collections.streamfleet.cluster.plugins.module_utils.mongodb import redact_mongo_url
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia import (
    SERVER_PROPERTIES,
    AntMediaError,
    _last_value,
    read_text,
)
from ansible_collections.streamfleet.cluster.plugins.module_utils.servers.antmedia_cluster_db import (
    DEFAULT_COLLECTION,
    DEFAULT_DATABASE,
    ClusterNodeError,
    check_addresses,
)

SERVICE = "antmedia"
STOP_TIMEOUT_SECONDS = 120


def cluster_url(home):
    """The MongoDB URL of ``clusterdb.host`` in the server's own settings, or None."""
    path = os.path.join(home, SERVER_PROPERTIES)
    try:
        value = _last_value(read_text(path), "clusterdb.host")
    except AntMediaError:
        return None
    value = (value or "").strip()
    # Standalone servers keep "localhost" or nothing here; only a mongodb URL is a cluster.
    return value if value.startswith(("mongodb://", "mongodb+srv://")) else None


def pymongo_collection(url, timeout):
    """``(collection, client)`` of clusterdb.clusternode; pymongo is imported only here."""
    import pymongo  # pylint: disable=import-outside-toplevel
    milliseconds = int(timeout * 1000)
    client = pymongo.MongoClient(url, serverSelectionTimeoutMS=milliseconds, connectTimeoutMS=milliseconds,
                                 socketTimeoutMS=milliseconds)
    return client[DEFAULT_DATABASE][DEFAULT_COLLECTION], client


def _database_errors():
    try:
        from pymongo.errors import PyMongoError  # pylint: disable=import-outside-toplevel
    except ImportError:
        return (OSError, ValueError)
    return (PyMongoError, OSError, ValueError)


def _stop_server(runner, timeout, log):
    try:
        proc = runner(["systemctl", "stop", SERVICE], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                      timeout=timeout, check=False)
    except subprocess.TimeoutExpired:
        log("systemctl stop %s did not end within %ds" % (SERVICE, timeout))
        return False
    except OSError as exc:
        log("systemctl stop %s: %s" % (SERVICE, exc))
        return False
    if proc.returncode != 0:
        output = proc.stdout.decode("utf-8", "replace").strip() if proc.stdout else ""
        log("systemctl stop %s failed (exit %d)%s" % (SERVICE, proc.returncode, (": " + output) if output else ""))
        return False
    log("stopped %s: it no longer rewrites its clusternode document" % SERVICE)
    return True


def _safe(exc, url):
    """An error's text without the URL's password (drivers may quote the URL)."""
    return str(exc).replace(url, redact_mongo_url(url))


class AntMediaNodeRemoval(object):
    """Called by the agent before CompleteLifecycleAction (``removal(log)``); never raises."""

    def __init__(self, home, addresses, timeout=5, stop_timeout=STOP_TIMEOUT_SECONDS,
                 runner=subprocess.run, connect=pymongo_collection):
        self.home = home
        self.addresses = addresses        # callable -> this node's addresses (None for absent)
        self.timeout = timeout
        self.stop_timeout = stop_timeout
        self._runner = runner
        self._connect = connect
        self.removed = None

    def __call__(self, log):
        url = cluster_url(self.home)
        if url is None:
            log("no MongoDB clusterdb.host in %s: not a cluster node, no clusternode document to remove"
                % os.path.join(self.home, SERVER_PROPERTIES))
            return
        if not _stop_server(self._runner, self.stop_timeout, log):
            log("clusternode document left in place (the running server would write it again); "
                "antmedia_cleanup_nodes.yml removes it once the node is dead")
            return
        try:
            mine = check_addresses([a for a in self.addresses() if a], option="this node's address")
        except (ClusterNodeError, MetadataError) as exc:
            log("this node's address is unknown (%s); clusternode document left in place" % exc)
            return
        if not mine:
            log("this node's address is unknown; clusternode document left in place")
            return
        where = "%s.%s at %s" % (DEFAULT_DATABASE, DEFAULT_COLLECTION, redact_mongo_url(url))
        try:
            collection, client = self._connect(url, self.timeout)
        except ImportError:
            log("pymongo is not installed (python3-pymongo); clusternode document of %s left in %s for "
                "antmedia_cleanup_nodes.yml" % (", ".join(mine), where))
            return
        except _database_errors() as exc:
            log("cannot reach %s: %s; clusternode document left for antmedia_cleanup_nodes.yml"
                % (where, _safe(exc, url)))
            return
        try:
            outcome = collection.delete_many({"ip": {"$in": mine}})
            self.removed = outcome.deleted_count
            log("removed %d clusternode document(s) of %s from %s" % (self.removed, ", ".join(mine), where))
        except _database_errors() as exc:
            log("removing the clusternode document of %s from %s failed: %s; left for "
                "antmedia_cleanup_nodes.yml" % (", ".join(mine), where, _safe(exc, url)))
        finally:
            close = getattr(client, "close", None)
            if close:
                close()
