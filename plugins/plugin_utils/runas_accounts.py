# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The local accounts run-as relies on: the automation account, and the default user that
untagged sessions get (a name that must resolve nowhere unless the model says otherwise).

Pure checks, every problem at once, each labelled with the caller's name for the value: the
model check passes model paths, a role its own variables.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import posixpath
import re

from ansible_collections.federated.ssm_runas.plugins.module_utils import sudoers
from ansible_collections.federated.ssm_runas.plugins.module_utils.ssm_agent import (
    AGENT_SUDOERS,
    AGENT_USER,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_values import ALIAS_RE
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import (
    UNTAGGED_SESSION_USER,
    UNTAGGED_SESSIONS,
)

REFUSED, DEFAULT_USER = UNTAGGED_SESSIONS
_SHELL_RE = re.compile(r"\A/[A-Za-z0-9._+/-]+\Z")
_PRINCIPAL_RE = re.compile(r"\Aarn:([a-z-]+):iam::(\d{12}):(role|user)/([\w+=,.@/-]+)\Z")
# Names whose use as the automation account would hand it to someone else.
_NOT_AUTOMATION = {
    "root": "is root, whose uid 0 the agent refuses",
    AGENT_USER: "is the SSM agent's own account, which the agent creates and gives "
    "passwordless sudo in %s whenever run-as is off" % AGENT_SUDOERS,
}


def automation_rules(automation):
    """The automation account's sudo rules (sudoers_file rules), [] when it has none."""
    if not automation or not automation.get("sudo"):
        return []
    return [dict(automation["sudo"], user=automation["user"])]


def _quote(value):
    return sudoers.quote(value)


def _sudo_errors(automation, labels):
    sudo = automation.get("sudo")
    if not sudo:
        return []
    errors = []
    for index, command in enumerate(sudo.get("commands") or []):
        word = command.split()[0] if isinstance(command, str) and command.split() else ""
        if word != "ALL" and ALIAS_RE.match(word):
            errors.append(
                "%s.commands[%d] %s is a command alias: the automation account's rules live in "
                "their own file, where aliases are not defined; list the commands"
                % (labels["sudo"], index, _quote(command))
            )
    if errors:
        return errors
    rule_labels = dict(sudoers.labels_for(""), rules="\0", command_aliases=labels["sudo"])
    try:
        sudoers.validate(
            automation_rules(automation),
            command_aliases={},
            domain="",
            fully_qualified=False,
            labels=rule_labels,
        )
    except sudoers.SudoersError as exc:
        return [e.replace("\0[0]", labels["sudo"]) for e in exc.errors]
    return []


def _automation_errors(automation, labels):
    user = automation.get("user")
    error = sudoers.check_user(labels["user"], user)
    if error:
        return [error]
    errors = []
    if user in _NOT_AUTOMATION:
        errors.append(
            "%s %s %s: name an account of its own, e.g. ansible-automation"
            % (labels["user"], _quote(user), _NOT_AUTOMATION[user])
        )
    shell = automation.get("shell")
    if shell is not None and not (
        isinstance(shell, str) and _SHELL_RE.match(shell) and posixpath.normpath(shell) == shell
    ):
        errors.append(
            "%s %s is not a normalized absolute path of letters, digits and . _ + - /: give "
            "the shell's path, e.g. /bin/bash" % (labels["shell"], _quote(shell))
        )
    return errors + _sudo_errors(automation, labels)


def _default_user_errors(automation, default_user, untagged, labels, ad_suffixes):
    if untagged == DEFAULT_USER:
        if default_user in (None, "", UNTAGGED_SESSION_USER):
            return [
                "%s %s says untagged sessions run as %s, but %s is %s, a name no instance "
                "may resolve: set it to the real account untagged sessions get, or set %s: %s"
                % (
                    labels["untagged"],
                    _quote(untagged),
                    labels["default_user"],
                    labels["default_user"],
                    _quote(default_user or ""),
                    labels["untagged"],
                    REFUSED,
                )
            ]
        return []
    if default_user in (None, ""):
        return []
    fix = (
        "leave it to its default (%s), a name that resolves nowhere, or, if untagged sessions "
        "should get a shell as this account on purpose, set %s: %s"
        % (UNTAGGED_SESSION_USER, labels["untagged"], DEFAULT_USER)
    )
    lowered = default_user.lower()
    why = None
    if automation and default_user == automation.get("user"):
        why = "is the automation account, which every instance has, with its rights"
    elif default_user == AGENT_USER:
        why = "is the agent's own account, with passwordless sudo wherever run-as was ever off"
    elif any(lowered.endswith("@" + suffix.lower()) for suffix in ad_suffixes if suffix):
        why = "is an AD user name, which joined instances resolve"
    elif default_user == "root":
        why = "is root"
    if why is None:
        return []
    return ["%s %s %s: %s" % (labels["default_user"], _quote(default_user), why, fix)]


def account_errors(automation, default_user, untagged, *, labels, ad_suffixes=()):
    """Every problem of the automation account and of the untagged-session default.

    automation is None or {user, sudo, shell}; labels name user, sudo, shell, default_user
    and untagged the way the caller wrote them.
    """
    errors = []
    if untagged not in UNTAGGED_SESSIONS:
        errors.append(
            "%s %s must be one of %s"
            % (labels["untagged"], _quote(untagged), ", ".join(UNTAGGED_SESSIONS))
        )
    if automation:
        errors.extend(_automation_errors(automation, labels))
    errors.extend(_default_user_errors(automation, default_user, untagged, labels, ad_suffixes))
    return errors


def principal_errors(principals, *, label, partition, account_id):
    """The automation IAM principals: role or user ARNs in the model's account."""
    errors = []
    for index, arn in enumerate(principals or []):
        where = "%s[%d]" % (label, index)
        match = _PRINCIPAL_RE.match(arn) if isinstance(arn, str) else None
        if not match:
            errors.append(
                "%s %s is not an IAM role or user ARN: give arn:%s:iam::<account>:role/<name> "
                "or .../user/<name>" % (where, _quote(arn), partition)
            )
            continue
        if match.group(1) != partition:
            errors.append(
                "%s %s is in partition %s, not %s (aws.partition)"
                % (where, _quote(arn), match.group(1), partition)
            )
        if account_id and match.group(2) != account_id:
            errors.append(
                "%s %s is in account %s, not %s: only principals of the account the AWS side "
                "manages can be tagged" % (where, _quote(arn), match.group(2), account_id)
            )
    return errors
