#!/usr/bin/env bash
# `make run`: a demo root in ./demo with user demo (password demo), served in
# the foreground on 127.0.0.1:$PORT (native, default 9021) and 127.0.0.1:$FTP_PORT
# (FTP, default 2121). Ctrl-C stops it.
set -euo pipefail
build=${1:-build}
ferryd="$build/apps/ferryd"
root=demo
port=${PORT:-9021}
ftp_port=${FTP_PORT:-2121}

for p in "$port" "$ftp_port"; do
  case $p in
    '' | *[!0-9]*) echo "make run: PORT and FTP_PORT must be port numbers (got '$p')" >&2; exit 2 ;;
  esac
  if [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then
    echo "make run: PORT and FTP_PORT must be from 1 to 65535 (got $p)" >&2; exit 2
  fi
done
if [ "$port" = "$ftp_port" ]; then
  echo "make run: PORT and FTP_PORT must differ (both $port)" >&2; exit 2
fi
# Checked before anything is set up, so the advice comes at once instead of a
# bind error after the demo root was made. A connect that succeeds means some
# program listens there.
for p in "$port" "$ftp_port"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
    which=PORT; [ "$p" = "$ftp_port" ] && which=FTP_PORT
    cat >&2 <<TXT
make run: 127.0.0.1:$p is taken (another program listens there), so the demo
cannot serve on it ($which). Pick free ports, for example:
    make run PORT=$((port + 100)) FTP_PORT=$((ftp_port + 100))
(or stop what listens there: ss -ltnp 'sport = :$p' shows it).
TXT
    exit 1
  fi
done
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
host=127.0.0.1
[ "$port" = 9021 ] || host=127.0.0.1:$port
cat <<TXT
ferryd demo server: root ./$root, user "demo", password "demo".
Connect from another terminal:
    $build/apps/ferry demo@$host
(or FERRY_PASSWORD=demo $build/apps/ferry demo@$host ls -l)
Remote commands (confined to the home): FERRY_PASSWORD=demo $build/apps/ferry demo@$host exec -- uname -a
FTP clients work too (FTPS):  lftp -e 'set ssl:ca-file $root/tls/cert.pem' -u demo,demo -p $ftp_port 127.0.0.1
                         or:  curl --ssl-reqd --cacert $root/tls/cert.pem ftp://demo:demo@127.0.0.1:$ftp_port/
Stop with Ctrl-C.
TXT
if [ -f "$root/tls/cert.pem" ]; then
  echo "TLS certificate fingerprint (the client asks you to confirm it on first use):"
  echo "    $(openssl x509 -noout -fingerprint -sha256 -in "$root/tls/cert.pem" | sed 's/^.*=/SHA256:/')"
fi
exec "$ferryd" serve --root "$root" --listen "127.0.0.1:$port" --ftp-listen "127.0.0.1:$ftp_port"
