#!/bin/sh
# Stand-in for Ant Media's start.sh (TEST DOUBLE): the real one starts the Java server.
AMS_HOME=$(cd "$(dirname "$0")" && pwd)
exec python3 "$AMS_HOME/lib/standin_server.py" --product antmedia --home "$AMS_HOME"
