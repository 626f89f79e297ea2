# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sudoers input as a whole: settings, command aliases and rules, every problem at once."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_values import (
    ALIAS_RE,
    MODULE_LABELS,
    RESERVED_WORDS,
    RULE_KEYS,
    SudoersError,
    as_bool,
    check_domain,
    check_file_path,
    check_group,
    check_header,
    check_user,
    parse_command,
    parse_runas,
    quote,
)

MISSING_POLICIES = ("fail", "warn")


def _check_commands(label, commands, errors, *, labels, alias_names, in_alias):
    if not isinstance(commands, list) or not commands:
        errors.append(
            "%s %s must be a non-empty list of command names, paths, aliases or ALL"
            % (label, quote(commands))
        )
        return []
    parsed = []
    for index, text in enumerate(commands):
        item = "%s[%d]" % (label, index)
        command, error = parse_command(item, text, labels, alias_names, in_alias)
        if error:
            errors.append(error)
        else:
            parsed.append(command)
    return parsed


def _settings_errors(settings, labels):
    fully_qualified = as_bool(settings.get("fully_qualified", True))
    domain = settings.get("domain") or ""
    policy = settings.get("missing_commands", "fail")
    if policy not in MISSING_POLICIES:
        yield "%s %s must be one of: fail, warn" % (labels["missing_commands"], quote(policy))
    if fully_qualified is None:
        yield "%s %s must be true or false" % (
            labels["fully_qualified"],
            quote(settings.get("fully_qualified")),
        )
    if domain:
        error = check_domain(labels["domain"], domain)
        if error:
            yield error
    elif fully_qualified is True:
        yield (
            '%s "" is empty while %s is true: set the AD domain (e.g. example.test) or set '
            "%s: false" % (labels["domain"], labels["fully_qualified"], labels["fully_qualified"])
        )
    for key, check in (("path", check_file_path), ("header", check_header)):
        if settings.get(key) is not None:
            error = check(labels[key], settings[key])
            if error:
                yield error


def _validate_aliases(command_aliases, labels, errors):
    if command_aliases is None:
        command_aliases = {}
    if not isinstance(command_aliases, dict):
        errors.append(
            "%s %s must be a mapping of ALIAS_NAME to a list of commands"
            % (labels["command_aliases"], quote(command_aliases))
        )
        return []
    aliases = []
    for name in sorted(command_aliases, key=str):
        label = "%s.%s" % (labels["command_aliases"], name)
        if not isinstance(name, str) or not ALIAS_RE.match(name):
            errors.append(
                "%s: alias name %s must match [A-Z][A-Z0-9_]* (upper case, digits, '_')"
                % (labels["command_aliases"], quote(name))
            )
        elif name in RESERVED_WORDS:
            errors.append(
                "%s: alias name %s is a sudoers reserved word: choose another name"
                % (labels["command_aliases"], quote(name))
            )
        else:
            commands = _check_commands(
                label, command_aliases[name], errors, labels=labels, alias_names=(), in_alias=True
            )
            aliases.append({"name": name, "label": label, "commands": commands})
    return aliases


def _validate_rule(label, rule, labels, alias_names, errors):
    unknown = sorted(str(key) for key in rule if key not in RULE_KEYS)
    if unknown:
        errors.append(
            "%s has unknown key %s: use only %s" % (label, quote(unknown[0]), ", ".join(RULE_KEYS))
        )
    group, user = rule.get("group"), rule.get("user")
    if group is not None and user is not None:
        errors.append(
            "%s has both group %s and user %s: a rule is for one AD group or one local account"
            % (label, quote(group), quote(user))
        )
    elif user is not None:
        error = check_user(label + ".user", user)
        if error:
            errors.append(error)
    else:
        error = check_group(label + ".group", group, labels)
        if error:
            errors.append(error)
    runas = rule.get("runas")
    runas, error = parse_runas(label + ".runas", "ALL" if runas is None else runas)
    if error:
        errors.append(error)
    nopasswd = rule.get("nopasswd")
    if nopasswd is not None and as_bool(nopasswd) is None:
        errors.append("%s.nopasswd %s must be true or false" % (label, quote(nopasswd)))
    commands = _check_commands(
        label + ".commands",
        rule.get("commands"),
        errors,
        labels=labels,
        alias_names=alias_names,
        in_alias=False,
    )
    return {
        "label": label,
        "group": group,
        "user": user,
        "runas": runas,
        "nopasswd": nopasswd is not None and as_bool(nopasswd) is True,
        "commands": commands,
    }


def validate(rules, **settings):
    """Check every input; return a normalized spec or raise SudoersError with all problems.

    settings: command_aliases, domain, fully_qualified, missing_commands, path, header
    (path and header are checked only when given) and labels (names for messages).
    """
    labels = settings.get("labels") or MODULE_LABELS
    errors = list(_settings_errors(settings, labels))
    aliases = _validate_aliases(settings.get("command_aliases"), labels, errors)
    alias_names = frozenset(alias["name"] for alias in aliases)
    normalized = []
    if not isinstance(rules, list):
        errors.append("%s %s must be a list of rules" % (labels["rules"], quote(rules)))
        rules = []
    for index, rule in enumerate(rules):
        label = "%s[%d]" % (labels["rules"], index)
        if isinstance(rule, dict):
            normalized.append(_validate_rule(label, rule, labels, alias_names, errors))
        else:
            errors.append(
                "%s %s must be a mapping with group (or user), runas, nopasswd, commands"
                % (label, quote(rule))
            )
    if errors:
        raise SudoersError(errors)
    return {
        "aliases": aliases,
        "rules": normalized,
        "domain": settings.get("domain") or "",
        "fully_qualified": as_bool(settings.get("fully_qualified", True)),
        "missing_commands": settings.get("missing_commands", "fail"),
    }
