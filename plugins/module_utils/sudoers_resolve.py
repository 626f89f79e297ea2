# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Commands resolved to the absolute path that exists on this host, never through a PATH
the caller chose."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os

from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_values import quote

# Fixed and root-owned on every distro: a command is never resolved through a caller's PATH.
SEARCH_PATH = (
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
)


def find_program(name, search_path=SEARCH_PATH):
    """First executable regular file called name on the search path, or None."""
    for directory in search_path:
        candidate = os.path.join(directory, name)
        if is_executable(candidate):
            return candidate
    return None


def is_executable(path):
    return os.path.isfile(path) and os.access(path, os.X_OK)


def resolve(spec, search_path=SEARCH_PATH):
    """Give every command an absolute path that exists here; collect the ones that do not.

    Returns (resolved_spec, resolved, missing, notes): resolved maps each named or absolute
    command text to its path; missing lists {label, command, reason}; notes list aliases and
    rules left out because nothing of them exists on this host.
    """
    cache = {}
    resolved = {}
    missing = []

    def resolve_command(command):
        if command["kind"] != "command":
            return command
        program = command["program"]
        if program not in cache:
            if program.startswith("/"):
                cache[program] = program if is_executable(program) else None
            else:
                cache[program] = find_program(program, search_path)
        path = cache[program]
        if path is None:
            where = (
                "is not an executable file"
                if program.startswith("/")
                else "was not found in %s" % ":".join(search_path)
            )
            missing.append({"label": command["label"], "command": command["text"], "reason": where})
            return None
        resolved[program] = path
        return dict(command, program=path)

    notes = []
    aliases = []
    kept_aliases = set()
    for alias in spec["aliases"]:
        commands = [c for c in (resolve_command(c) for c in alias["commands"]) if c]
        if commands:
            aliases.append(dict(alias, commands=commands))
            kept_aliases.add(alias["name"])
        else:
            notes.append(
                "%s: no command of this alias exists on this host; the alias is left out"
                % alias["label"]
            )
    rules = []
    for rule in spec["rules"]:
        commands = []
        for command in rule["commands"]:
            if command["kind"] == "alias" and command["name"] not in kept_aliases:
                continue
            found = resolve_command(command)
            if found:
                commands.append(found)
        if commands:
            rules.append(dict(rule, commands=commands))
        else:
            notes.append(
                "%s (%s %s): no command of this rule exists on this host; the rule is left out"
                % (
                    rule["label"],
                    "user" if rule.get("user") is not None else "group",
                    quote(rule["user"] if rule.get("user") is not None else rule["group"]),
                )
            )
    return dict(spec, aliases=aliases, rules=rules), resolved, missing, notes


def missing_message(item, labels, policy="fail"):
    if policy == "warn":
        fix = "left out; install the package that provides it or remove it"
    else:
        fix = (
            "install the package that provides it, remove it, or set %s: warn to leave it out"
            % (labels["missing_commands"])
        )
    return "%s %s %s: %s" % (item["label"], quote(item["command"]), item["reason"], fix)
