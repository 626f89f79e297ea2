# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Home directories for AD group members, where the SSM agent expects them.

The agent starts run-as shells without PAM (no pam_mkhomedir) and sets HOME=/home/<name>,
so the homes must exist before the first session. These functions decide which homes to
create or remove and do it; NSS lookups are passed in so that tests need no SSSD.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import json
import os
import shutil
import stat


class HomesError(ValueError):
    """A group, member or path the module refuses; the message names it."""


def qualify(group, domain, fully_qualified):
    """The name NSS knows a group by: ``networkadmins@example.test`` or ``networkadmins``."""
    if not group or not group.strip():
        raise HomesError("group %r: an AD group name may not be empty" % (group,))
    if any(c in group for c in ":\n\r\x00"):
        raise HomesError(
            "group %r: an AD group name may not contain ':' or control characters" % (group,)
        )
    if fully_qualified and domain and "@" not in group:
        return "%s@%s" % (group, domain)
    return group


def home_path(base, name):
    """/home/<name>, refusing names that would leave the base directory."""
    if (
        not name
        or name in (".", "..")
        or name.startswith(".")
        or any(c in name for c in "/\n\r\x00")
    ):
        raise HomesError("member %r: not usable as a directory name under %s" % (name, base))
    path = os.path.join(base, name)
    if os.path.dirname(path) != base.rstrip("/"):
        raise HomesError("member %r: home %s is not directly under %s" % (name, path, base))
    return path


def resolve_members(groups, getgrnam, getpwnam):
    """{user name: (uid, gid)} for the members of groups, and the groups that did not resolve.

    getgrnam/getpwnam are grp.getgrnam/pwd.getpwnam (or fakes): SSSD lists a group's members
    (also not-yet-cached "ghost" members) on a plain group lookup, no enumeration needed.
    """
    members = {}
    missing = []
    for group in groups:
        try:
            entry = getgrnam(group)
        except KeyError:
            missing.append(group)
            continue
        for name in entry.gr_mem:
            if name in members:
                continue
            try:
                pw = getpwnam(name)
            except KeyError:
                continue
            if pw.pw_uid == 0 or pw.pw_gid == 0:
                # The agent refuses uid/gid 0; a root home must never be created here.
                continue
            members[pw.pw_name] = (pw.pw_uid, pw.pw_gid)
    return members, missing


def plan(members, base, exists):
    """(to_create, present): sorted lists of (name, path, uid, gid)."""
    to_create, present = [], []
    for name in sorted(members):
        uid, gid = members[name]
        path = home_path(base, name)
        (present if exists(path) else to_create).append((name, path, uid, gid))
    return to_create, present


def create_home(path, uid, gid, skel, mode=0o700):
    """Create path from skel (copied without following links), owned by uid:gid."""
    if skel and os.path.isdir(skel):
        shutil.copytree(skel, path, symlinks=True)
    else:
        os.mkdir(path)
    for root, dirs, files in os.walk(path):
        os.lchown(root, uid, gid)
        for name in dirs + files:
            os.lchown(os.path.join(root, name), uid, gid)
    os.chmod(path, mode)


def load_manifest(path):
    """{home path: uid} of the homes this module created earlier."""
    try:
        with open(path) as handle:
            data = json.load(handle)
    except (IOError, OSError):
        return {}
    except ValueError as exc:
        raise HomesError("state file %s is not JSON (%s): fix or remove it" % (path, exc)) from None
    homes = data.get("homes", {}) if isinstance(data, dict) else {}
    return dict((str(k), int(v)) for k, v in homes.items())


def save_manifest(path, homes, write):
    """Record homes ({path: uid}) in the JSON file at path through write(path, data)."""
    directory = os.path.dirname(path)
    if directory and not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    text = json.dumps({"homes": homes}, indent=2, sort_keys=True) + "\n"
    write(path, text.encode("utf-8"))


def removable(path, uid):
    """True when path is still the directory created for uid (not a link, same owner)."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == uid


def resolve_members_waiting(groups, getgrnam, getpwnam, *, timeout, sleep, clock):
    """resolve_members, retried once a second while groups are missing, for up to timeout s.

    Right after a restart SSSD answers before its AD backend is online, and a group it has not
    cached yet does not resolve for that moment.
    """
    deadline = clock() + timeout
    while True:
        members, missing = resolve_members(groups, getgrnam, getpwnam)
        if not missing or clock() >= deadline:
            return members, missing
        sleep(1)
