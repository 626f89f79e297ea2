# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Home directories for AD group members, where the SSM agent expects them.

The agent starts run-as shells without PAM (no pam_mkhomedir) and sets HOME=/home/<name>,
so the homes must exist before the first session. These functions decide which homes to
create or remove and do it; NSS lookups are passed in so that tests need no SSSD.

This file is also the on-host refresher: the ad_homes module installs it verbatim (standard
library only) and a systemd timer runs ``python3 ad_homes.py <config.json>`` (refresh_main), so
that members who join a group later get their homes without an Ansible run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import fcntl
import grp
import json
import os
import pwd
import shutil
import stat
import tempfile
from contextlib import contextmanager


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


def resolve_members(groups, getgrnam, getpwnam, skip=None):
    """{user name: (uid, gid)} for the members of groups, and the groups that did not resolve.

    getgrnam/getpwnam are grp.getgrnam/pwd.getpwnam (or fakes): SSSD lists a group's members
    (also not-yet-cached "ghost" members) on a plain group lookup, no enumeration needed.
    Members for whom skip(name) is true are not looked up and not returned.
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
            if name in members or (skip is not None and skip(name)):
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


@contextmanager
def manifest_lock(state_file):
    """Exclusive lock on the state file's directory, held by the module and the refresher while
    they create homes and record them, so that neither loses the other's record."""
    directory = os.path.dirname(state_file) or "."
    if not os.path.isdir(directory):
        os.makedirs(directory, 0o755)
    fd = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)


def replace_file(path, data, mode=0o600):
    """The refresher's atomic write (the module uses AnsibleModule.atomic_move)."""
    fd, temp = tempfile.mkstemp(prefix=".ad_homes", suffix=".tmp", dir=os.path.dirname(path))
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.rename(temp, path)
    except BaseException:
        if os.path.lexists(temp):
            os.unlink(temp)
        raise


REFRESH_KEYS = ("groups", "base", "skel", "state_file", "missing_groups")


def load_refresh_config(path):
    """The refresher's JSON configuration, as the module wrote it; refuses anything else."""
    with open(path) as handle:
        config = json.load(handle)
    if not isinstance(config, dict) or sorted(config) != sorted(REFRESH_KEYS):
        raise HomesError("%s: expected the keys %s" % (path, ", ".join(sorted(REFRESH_KEYS))))
    if not isinstance(config["groups"], list) or not all(
        isinstance(g, str) and g for g in config["groups"]
    ):
        raise HomesError("%s: groups must be a list of group names" % path)
    for key in ("base", "state_file"):
        if not isinstance(config[key], str) or not os.path.isabs(config[key]):
            raise HomesError("%s: %s must be an absolute path" % (path, key))
    if config["missing_groups"] not in ("fail", "warn"):
        raise HomesError("%s: missing_groups must be fail or warn" % path)
    return config


def refresh(config, getgrnam, getpwnam, run, log):
    """One pass of the refresher: homes for the members that have none. (created, missing)

    Only the configured groups are invalidated in SSSD's cache (``sss_cache -g``), so that
    members added in AD since the last pass are seen; users and other groups keep their cache.
    """
    groups = config["groups"]
    sss_cache = shutil.which("sss_cache")
    for group in groups if sss_cache else ():
        run([sss_cache, "-g", group])
    base = config["base"]
    # A member whose home exists needs no user lookup: a pass with nothing to do asks SSSD for
    # the groups only, however many members they have.
    members, missing = resolve_members(
        groups, getgrnam, getpwnam, skip=lambda name: os.path.lexists(home_path(base, name))
    )
    for group in missing:
        log(4, "group %s does not resolve (getent group): no homes for its members" % group)
    to_create, _present = plan(members, base, os.path.lexists)
    created = []
    if not to_create:
        return created, missing
    state_file = config["state_file"]
    with manifest_lock(state_file):
        manifest = load_manifest(state_file)
        for name, path, uid, gid in to_create:
            if os.path.lexists(path):
                continue  # made meanwhile (by the module) while this pass waited for the lock
            create_home(path, uid, gid, config["skel"])
            manifest[path] = uid
            save_manifest(state_file, manifest, replace_file)
            log(6, "created %s for %s (uid %d, gid %d)" % (path, name, uid, gid))
            created.append(path)
    return created, missing


def refresh_main(argv, command, out):
    """The installed script's entry: 0 when all went well (changed or not).

    command(argv) -> (rc, output) runs a program without a shell; out is where the log goes
    (stdout, which systemd hands to the journal). The script's own ``__main__`` block (added
    by ad_homes_refresh.script_text) supplies both.
    """
    # The journal reads a "<level>" prefix as the priority when stdout goes to it.
    journal = bool(os.environ.get("JOURNAL_STREAM"))

    def log(level, message):
        out.write(("<%d>" % level if journal else "") + message + "\n")
        out.flush()

    def run(argv):
        # sss_cache's absolute path and a group name from the root-owned configuration; no shell.
        rc, text = command(argv)
        if rc != 0:
            # Debug only: sss_cache also fails for a group it has not cached yet, which the
            # lookup then fetches fresh anyway.
            log(7, "%s: rc=%d %s" % (" ".join(argv), rc, text.strip()))

    if len(argv) != 1:
        log(3, "usage: ad_homes.py <config.json>")
        return 2
    try:
        config = load_refresh_config(argv[0])
        _created, missing = refresh(config, grp.getgrnam, pwd.getpwnam, run, log)
    except (HomesError, OSError, ValueError) as exc:
        log(3, "ad_homes refresh failed: %s" % exc)
        return 1
    return 1 if missing and config["missing_groups"] == "fail" else 0
