#!/usr/bin/env bash
# streamfleet TEST STAND-IN for Ant Media Server's change_server_mode.sh. Written by us from the
# behaviour of ant-media/Ant-Media-Server@5130ad8893a2a36d36f167045cf3db41cdf0057c
# src/main/server/change_server_mode.sh and src/main/server/conf/functions.sh (see
# docs/config-files.md); not the vendor's text.
#
# Usage: change_server_mode.sh cluster URL | standalone [URL] [USER PASSWORD]
#
# Same effect on the files as the vendor's script:
# - it edits /usr/local/antmedia, wherever this copy lives;
# - conf/jee-container.xml: every cluster block marker switched (standalone leaves a space
#   after each "<!-- cluster start");
# - every line that contains KEY= (each '.' of the key matching any character, commented lines
#   included) is replaced whole by KEY=VALUE; a key that is absent is not added:
#   conf/red5.properties clusterdb.host/user/password, then db.type/host/user/password in
#   webapps/*/WEB-INF/red5-web.properties (root included); then useGlobalIp=false;
# - the database type from the URL (mongodb, redisdb; mapdb and empty values without a URL);
# - anything but a mongodb://, mongodb+srv://, redis:// URL, 127.0.0.1, localhost or an
#   existing file needs an interactive "y": without a terminal the change is cancelled.
# Different on purpose: /etc/hosts is left alone, the URL is not split on white space, and the
# service is restarted with systemctl only when an antmedia unit exists.
set -u

AMS_HOME=/usr/local/antmedia

mode=${1:-}
url=${2:-}
db_user=${3:-}
db_password=${4:-}

die() {
  echo "$*" >&2
  exit 1
}

case $mode in
  cluster) [ -n "$url" ] || die "cluster mode needs a database URL" ;;
  standalone) ;;
  *) die "usage: $0 cluster URL | standalone [URL]" ;;
esac

if [ -n "$url" ]; then
  case $url in
    mongodb://* | mongodb+srv://* | redis://* | 127.0.0.1 | localhost) ;;
    *)
      if [ ! -f "$url" ]; then
        echo "'$url' is neither a mongodb://, mongodb+srv://, redis:// URL nor a file. Go on? (y/n)"
        read -r answer || answer=
        [ "$answer" = y ] || [ "$answer" = Y ] || die "Cancelled."
      fi
      ;;
  esac
fi

ipv4='[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+'
if [ "$mode" = cluster ]; then
  mongo_like="^(${ipv4}|localhost|mongo.*)\$"
else
  mongo_like="^(${ipv4}(:[0-9]{1,5})?|localhost(:[0-9]{1,5})?|mongo.*)\$"
fi
if [ -z "$url" ]; then
  db_type=mapdb
elif [[ $url =~ $mongo_like ]]; then
  db_type=mongodb
else
  db_type=redisdb
fi

# replace_line FILE KEY VALUE
replace_line() {
  if [ ! -f "$1" ]; then
    echo "stand-in: $1 does not exist" >&2
    return 0
  fi
  sed -i "/$2=/c\\
$2=$3" "$1"
}

jee=$AMS_HOME/conf/jee-container.xml
if [ "$mode" = cluster ]; then
  sed -i -E -e 's/<!-- cluster start( -->)?/<!-- cluster start -->/g' \
    -e 's/(<!-- )?cluster end -->/<!-- cluster end -->/g' "$jee"
else
  sed -i -E -e 's/<!-- cluster start( -->)?/<!-- cluster start /g' \
    -e 's/(<!-- )?cluster end -->/cluster end -->/g' "$jee"
fi

server=$AMS_HOME/conf/red5.properties
replace_line "$server" clusterdb.host "$url"
replace_line "$server" clusterdb.user "$db_user"
replace_line "$server" clusterdb.password "$db_password"
for app in "$AMS_HOME"/webapps/*/; do
  [ -d "$app" ] || continue
  replace_line "${app}WEB-INF/red5-web.properties" db.type "$db_type"
  replace_line "${app}WEB-INF/red5-web.properties" db.host "$url"
  replace_line "${app}WEB-INF/red5-web.properties" db.user "$db_user"
  replace_line "${app}WEB-INF/red5-web.properties" db.password "$db_password"
done
sed -i 's/useGlobalIp=.*/useGlobalIp=false/' "$server"

echo "Mode: $mode (database type $db_type)"
echo "stand-in: /etc/hosts left alone"
if command -v systemctl >/dev/null 2>&1 && systemctl cat antmedia.service >/dev/null 2>&1; then
  systemctl stop antmedia
  systemctl start antmedia
fi
