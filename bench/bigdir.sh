#!/usr/bin/env bash
# bench/bigdir.sh [BUILD_DIR] — the big-directory section of bench/load.sh alone:
# a directory of BIGDIR_ENTRIES (100,000) entries; native ls and FTP LIST/MLSD,
# first frame/byte and total; a stat/ls probe with and without big listings
# beside it; ProFTPD's reported 32 s for 20,090 files (its issue 863) for scale.
SECTIONS=bigdir exec "$(dirname "${BASH_SOURCE[0]}")/load.sh" "$@"
