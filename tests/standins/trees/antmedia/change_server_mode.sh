#!/bin/sh
# streamfleet TEST STAND-IN for Ant Media Server's change_server_mode.sh.
# Written by the streamfleet maintainers from the documented behaviour; not the vendor script.
#
# Usage: change_server_mode.sh cluster URL
#        change_server_mode.sh standalone [URL]
#        (a third and fourth argument, user and password, are deprecated and only copied)
#
# Like the real script it sets clusterdb.host/user/password (and useGlobalIp=false in cluster
# mode) in conf/red5.properties, db.type/db.host/db.user/db.password in every
# webapps/*/WEB-INF/red5-web.properties (existing lines only), and (un)comments the block
# between the cluster markers of conf/jee-container.xml. A URL that is not mongodb://,
# mongodb+srv://, redis://, 127.0.0.1, localhost or an existing file needs an interactive "y";
# without a terminal the change is cancelled.
#
# Differences from the real script, on purpose (this copy runs inside the test suite):
# - it works on the tree it lives in (the real one uses /usr/local/antmedia);
# - it does NOT rewrite /etc/hosts and does NOT restart the antmedia service; it says so.
set -eu

HOME_DIR=$(cd "$(dirname "$0")" && pwd)
MODE=${1:-}
URL=${2:-}
DB_USER=${3:-}
DB_PASSWORD=${4:-}

usage() {
  echo "Usage: $0 cluster URL | standalone [URL]" >&2
  exit 1
}

case "$MODE" in
  cluster) [ -n "$URL" ] || usage ;;
  standalone) ;;
  *) usage ;;
esac

if [ -z "$URL" ]; then
  DB_TYPE=mapdb
  URL=localhost
else
  case "$URL" in
    mongodb://*|mongodb+srv://*|127.0.0.1|localhost) DB_TYPE=mongodb ;;
    redis://*) DB_TYPE=redisdb ;;
    *)
      if [ -f "$URL" ]; then
        DB_TYPE=redisdb
      elif [ -t 0 ]; then
        printf '%s' "'$URL' is not a mongodb:// or redis:// URL. Continue? (y/n) "
        read -r answer
        [ "$answer" = y ] || { echo "Cancelled."; exit 1; }
        case "$URL" in mongo*) DB_TYPE=mongodb ;; *) DB_TYPE=redisdb ;; esac
      else
        echo "Cancelled: the database address is not a URL and there is no terminal to confirm." >&2
        exit 1
      fi
      ;;
  esac
fi

# Replace the line of an existing key; values are passed through the environment so that no
# character of them is interpreted.
replace_key() {
  file=$1
  KEY=$2 VALUE=$3 awk '
    index($0, ENVIRON["KEY"] "=") == 1 { print ENVIRON["KEY"] "=" ENVIRON["VALUE"]; next }
    { print }' "$file" > "$file.standin.tmp"
  cat "$file.standin.tmp" > "$file"
  rm -f "$file.standin.tmp"
}

SERVER="$HOME_DIR/conf/red5.properties"
replace_key "$SERVER" clusterdb.host "$URL"
replace_key "$SERVER" clusterdb.user "$DB_USER"
replace_key "$SERVER" clusterdb.password "$DB_PASSWORD"
[ "$MODE" = cluster ] && replace_key "$SERVER" useGlobalIp false

for app in "$HOME_DIR"/webapps/*/WEB-INF/red5-web.properties; do
  [ -f "$app" ] || continue
  replace_key "$app" db.type "$DB_TYPE"
  replace_key "$app" db.host "$URL"
  replace_key "$app" db.user "$DB_USER"
  replace_key "$app" db.password "$DB_PASSWORD"
done

JEE="$HOME_DIR/conf/jee-container.xml"
if [ "$MODE" = cluster ]; then
  sed -e 's/<!-- cluster start *$/<!-- cluster start -->/' \
      -e 's/^\([ \t]*\)cluster end -->/\1<!-- cluster end -->/' "$JEE" > "$JEE.standin.tmp"
else
  sed -e 's/<!-- cluster start -->/<!-- cluster start/' \
      -e 's/<!-- cluster end -->/cluster end -->/' "$JEE" > "$JEE.standin.tmp"
fi
cat "$JEE.standin.tmp" > "$JEE"
rm -f "$JEE.standin.tmp"

echo "Mode: $MODE ($DB_TYPE)"
echo "stand-in: /etc/hosts not rewritten and the antmedia service not restarted"
