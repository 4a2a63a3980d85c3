#!/bin/sh
# Stand-in for Web Call Server's bundled install.sh (TEST DOUBLE, not vendor code).
# Like the vendor installer it asks before installing unless given -silent, copies the server
# under /usr/local/FlashphonerWebCallServer keeping an existing conf/ on upgrade, and installs
# and enables the systemd service `webcallserver` (it does not start it).
set -eu
silent=false
for arg in "$@"; do
  case $arg in
    -silent) silent=true ;;
  esac
done
if [ "$silent" != true ]; then
  printf 'Install Web Call Server into /usr/local/FlashphonerWebCallServer? [y/N] '
  read -r answer || answer=n
  case $answer in y|Y|yes) ;; *) echo "cancelled"; exit 1 ;; esac
fi
src=$(cd "$(dirname "$0")" && pwd)/server
dest=/usr/local/FlashphonerWebCallServer
mkdir -p "$dest"
cd "$src"
find . -type d | while read -r dir; do mkdir -p "$dest/$dir"; done
find . -type f | while read -r file; do
  case $file in
    ./conf/*) [ -e "$dest/$file" ] && continue ;;
  esac
  cp -p "$file" "$dest/$file"
done
cat > /etc/systemd/system/webcallserver.service <<UNIT
[Unit]
Description=Flashphoner Web Call Server (stand-in)
After=network-online.target

[Service]
Type=simple
ExecStart=$dest/bin/webcallserver
Restart=on-failure

[Install]
WantedBy=multi-user.target
UNIT
systemctl daemon-reload
systemctl enable webcallserver
echo "Web Call Server (stand-in) installed into $dest"
