#!/bin/sh
# Stand-in for Red5 Pro's red5.sh (TEST DOUBLE): the real one starts the Java server.
RED5_HOME=$(cd "$(dirname "$0")" && pwd)
exec python3 "$RED5_HOME/lib/standin_server.py" --product red5pro --home "$RED5_HOME"
