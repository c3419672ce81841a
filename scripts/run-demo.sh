#!/usr/bin/env bash
# `make run`: a demo root in ./demo with user demo (password demo), served in
# the foreground on 127.0.0.1:9021. Ctrl-C stops it.
set -euo pipefail
build=${1:-build}
ferryd="$build/apps/ferryd"
root=demo
[ -f "$root/accounts.toml" ] || "$ferryd" init --root "$root" >/dev/null
if ! "$ferryd" user list --root "$root" | grep -q '^demo '; then
  printf 'demo\n' | "$ferryd" user add demo --root "$root" --password-stdin --quota 1GiB
fi
cat <<TXT
ferryd demo server: root ./$root, user "demo", password "demo".
Connect from another terminal:
    $build/apps/ferry demo@127.0.0.1
(or FERRY_PASSWORD=demo $build/apps/ferry demo@127.0.0.1 ls -l)
Stop with Ctrl-C.
TXT
exec "$ferryd" serve --root "$root" --listen 127.0.0.1:9021
