# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What `sudo -l -U <user>` shows, compared with the sudo rules a data model declares.

A declared rule is ``{group, runas, nopasswd, commands}``; commands may name command aliases,
given as a mapping of alias name to its commands. Pure functions, no I/O. sudo-rs lists in the
same format (with aliases expanded), but says that a user has no rights differently.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re

_HEADER = re.compile(r"^User \S.* may run the following commands")
_ENTRY = re.compile(r"^\(([^)]*)\)\s*(.*)$")
_TAG = re.compile(r"^([A-Z_]+):\s*")
# sudo: "User x is not allowed to run sudo on h." (rc 0); sudo-rs 0.2.5: "sudo-rs: Sorry, user
# root is not allowed to execute 'list' as x on h." (rc 1, on stderr).
_NOTHING = re.compile(r"is not allowed to run sudo on |is not allowed to execute 'list' as ")


def allows_nothing(text):
    """Whether `sudo -l -U` output (stdout and stderr) says the user may run nothing."""
    return bool(_NOTHING.search(text or ""))


def parse_sudo_list(text):
    """Entries of `sudo -l -U user`: [{"runas": (user, group|None), "tags": set, "commands"}]."""
    entries = []
    active = False
    for line in (text or "").splitlines():
        stripped = line.strip()
        if _HEADER.match(stripped):
            active = True
            continue
        if not active or not stripped:
            continue
        if not line.startswith((" ", "\t")):
            active = False
            continue
        match = _ENTRY.match(stripped)
        if not match:
            continue
        runas, rest = match.groups()
        tags = set()
        tag = _TAG.match(rest)
        while tag:
            tags.add(tag.group(1))
            rest = rest[tag.end() :]
            tag = _TAG.match(rest)
        commands = [c.strip().replace("\\,", ",") for c in re.split(r"(?<!\\),", rest)]
        entries.append(
            {"runas": runas_key(runas), "tags": tags, "commands": [c for c in commands if c]}
        )
    return entries


def _split2(text, sep):
    """'a<sep>b' -> ('a', 'b'); without sep -> (text, '')."""
    head, found, tail = str(text).partition(sep)
    return head, tail if found else ""


def runas_key(text):
    """'ALL : ALL' or 'root' -> ('ALL', 'ALL') or ('root', None), as sudo -l prints them."""
    user, group = _split2(text, ":")
    return (user.strip() or "root", group.strip() or None)


def _command_matches(declared, listed):
    """Does the listed sudo command cover the declared one (ALL, a name or a path + args)?"""
    if listed == "ALL":
        return True
    if declared == "ALL":
        return False
    d_path, d_args = _split2(declared, " ")
    l_path, l_args = _split2(listed, " ")
    same_program = d_path == l_path or (
        not d_path.startswith("/") and l_path.rsplit("/", 1)[-1] == d_path
    )
    if not same_program and d_path.startswith("/"):
        # sudo may print the resolved path (/bin/ip for /usr/sbin/ip); the program decides.
        same_program = d_path.rsplit("/", 1)[-1] == l_path.rsplit("/", 1)[-1]
    return same_program and d_args.strip() == l_args.strip()


def expand_commands(commands, aliases):
    out = []
    for command in commands or []:
        members = aliases.get(command)
        out.extend(members if members else [command])
    return out


def missing_sudo_rules(entries, rules, aliases):
    """Declared rules that the sudo -l entries do not show, each with the commands missing."""
    missing = []
    for rule in rules:
        runas = runas_key(rule.get("runas") or "root")
        nopasswd = bool(rule.get("nopasswd"))
        fitting = [
            e for e in entries if e["runas"] == runas and ("NOPASSWD" in e["tags"]) == nopasswd
        ]
        absent = []
        for command in rule.get("commands") or []:
            if any(command in e["commands"] for e in fitting):
                continue  # shown as the alias itself
            members = expand_commands([command], aliases)
            if not all(
                any(_command_matches(m, c) for e in fitting for c in e["commands"]) for m in members
            ):
                absent.append(command)
        if absent:
            missing.append(dict(rule, missing=absent))
    return missing


def extra_sudo_entries(entries, rules, aliases):
    """The sudo -l entries (one command each) that no declared rule accounts for: what an
    account may do beyond what it was given."""
    extra = []
    for entry in entries:
        for listed in entry["commands"]:
            covered = False
            for rule in rules:
                runas = runas_key(rule.get("runas") or "root")
                nopasswd = bool(rule.get("nopasswd"))
                if entry["runas"] != runas or ("NOPASSWD" in entry["tags"]) != nopasswd:
                    continue
                declared = rule.get("commands") or []
                if listed in declared or any(
                    _command_matches(listed, m) for m in expand_commands(declared, aliases)
                ):
                    covered = True
                    break
            if not covered:
                extra.append(describe_entry(entry, listed))
    return extra


def describe_entry(entry, command):
    user, group = entry["runas"]
    runas = user if group is None else "%s : %s" % (user, group)
    tags = "".join("%s: " % tag for tag in sorted(entry["tags"]))
    return "(%s) %s%s" % (runas, tags, command)


def describe_rule(rule, aliases):
    """A declared rule the way sudo -l prints it, with the group (or account) it is for."""
    runas = rule.get("runas") or "root"
    return "(%s) %s%s for %s" % (
        runas.replace(":", " : "),
        "NOPASSWD: " if rule.get("nopasswd") else "",
        ", ".join(expand_commands(rule.get("commands"), aliases)),
        rule["group"] if rule.get("group") is not None else "user %s" % rule["user"],
    )
