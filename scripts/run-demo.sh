#!/usr/bin/env bash
# `make run`: a demo root in ./demo with user demo (password demo), served in
# the foreground on 127.0.0.1:9021 (native) and 127.0.0.1:2121 (FTP). Ctrl-C stops it.
set -euo pipefail
build=${1:-build}
ferryd="$build/apps/ferryd"
root=demo
[ -f "$root/accounts.toml" ] || "$ferryd" init --root "$root" >/dev/null
if ! "$ferryd" user list --root "$root" | grep -q '^demo '; then
  printf 'demo\n' | "$ferryd" user add demo --root "$root" --password-stdin --quota 1GiB --exec
fi
# ferryd serves as the owner of its root, never as root: run as root, the demo
# root belongs to the system user "ferry" (created once), and ferryd drops to it.
if [ "$(id -u)" = 0 ]; then
  id -u ferry >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin ferry
  chown -R ferry: "$root"
fi
cat <<TXT
ferryd demo server: root ./$root, user "demo", password "demo".
Connect from another terminal:
    $build/apps/ferry demo@127.0.0.1
(or FERRY_PASSWORD=demo $build/apps/ferry demo@127.0.0.1 ls -l)
Remote commands (confined to the home): FERRY_PASSWORD=demo $build/apps/ferry demo@127.0.0.1 exec -- uname -a
FTP clients work too (FTPS):  lftp -e 'set ssl:ca-file $root/tls/cert.pem' -u demo,demo -p 2121 127.0.0.1
                         or:  curl --ssl-reqd --cacert $root/tls/cert.pem ftp://demo:demo@127.0.0.1:2121/
Stop with Ctrl-C.
TXT
if [ -f "$root/tls/cert.pem" ]; then
  echo "TLS certificate fingerprint (the client asks you to confirm it on first use):"
  echo "    $(openssl x509 -noout -fingerprint -sha256 -in "$root/tls/cert.pem" | sed 's/^.*=/SHA256:/')"
fi
exec "$ferryd" serve --root "$root" --listen 127.0.0.1:9021 --ftp-listen 127.0.0.1:2121
