"""The quota's charging rule (src/vfs/disk_charge.hpp), computed independently
from what the kernel says about a home, so the end-to-end tests can check
the server's ledger against the disk:

    every name (file, directory, link, part file; each hard link) costs
    max(4096, st_blocks * 512 rounded up to 4096,
        st_size rounded up to 4096 for regular files)
    and counts as one file; the home directory costs its growth past its
    first block.
"""

import os
import stat

UNIT = 4096


def round_up(n):
    return (n + UNIT - 1) // UNIT * UNIT


def charge(st):
    """What one name costs, from its lstat."""
    c = max(UNIT, round_up(st.st_blocks * 512))
    if stat.S_ISREG(st.st_mode):
        c = max(c, round_up(st.st_size))
    return c


def charge_of(path):
    return charge(os.lstat(path))


def walk(home):
    """(bytes, files) the quota charges for `home`, part files included."""
    total = max(charge(os.lstat(home)), UNIT) - UNIT
    files = 0
    for dirpath, dirnames, filenames in os.walk(home):
        for name in dirnames + filenames:
            try:
                st = os.lstat(os.path.join(dirpath, name))
            except FileNotFoundError:
                continue  # removed meanwhile (a session's empty part file, at its end)
            total += charge(st)
            files += 1
    return total, files
