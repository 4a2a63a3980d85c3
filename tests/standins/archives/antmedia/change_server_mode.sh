#!/bin/sh
# Stand-in for Ant Media's change_server_mode.sh (TEST DOUBLE). The collection's roles switch
# the mode by editing the files (antmedia_cluster_mode with method: files); this stand-in only
# refuses, so that a test never silently depends on it.
echo "change_server_mode.sh stand-in: not implemented, use method: files" >&2
exit 2
