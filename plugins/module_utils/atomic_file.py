# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Write a file through AnsibleModule.atomic_move, with its mode and owner set before the rename.

write_temp makes the complete file (content, mode, owner, fsync) next to its destination, so
that a caller can check it (visudo -cf) before move_into_place renames that same file.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile


def write_temp(directory, data, mode, *, owner=-1, group=-1, prefix=".ansible_tmp"):
    """A new file in directory holding data (bytes), synced to disk; its name starts with '.'."""
    fd, temp = tempfile.mkstemp(prefix=prefix, suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            if owner != -1 or group != -1:
                os.fchown(handle.fileno(), owner, group)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        os.unlink(temp)
        raise
    return temp


def move_into_place(module, temp, path, mode, *, owner=-1, group=-1, keep_dest_attrs=True):
    """module.atomic_move(temp, path); a file it creates gets mode, not 0666 & ~umask."""
    # atomic_move chmods a file it creates to 0666 & ~umask after the rename: with this umask
    # the file is never more open than mode (nor than 0666).
    umask = os.umask(0o777 & ~mode)
    try:
        module.atomic_move(temp, path, keep_dest_attrs=keep_dest_attrs)
    except BaseException:
        if os.path.lexists(temp):
            os.unlink(temp)
        raise
    finally:
        os.umask(umask)
    info = os.lstat(path)
    if owner not in (-1, info.st_uid) or group not in (-1, info.st_gid):
        # A file atomic_move creates belongs to the effective user and group.
        os.lchown(path, owner, group)


def write_file(module, path, data, mode, *, owner=-1, group=-1, keep_dest_attrs=True):
    """Replace path with data atomically. keep_dest_attrs=False gives it mode and owner even
    when it exists; True keeps an existing file's mode and owner (the caller sets them after)."""
    temp = write_temp(os.path.dirname(path) or ".", data, mode, owner=owner, group=group)
    move_into_place(
        module, temp, path, mode, owner=owner, group=group, keep_dest_attrs=keep_dest_attrs
    )
