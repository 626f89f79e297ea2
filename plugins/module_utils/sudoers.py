# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sudoers rules for AD groups and local accounts: validate structured input, resolve
commands, render text.

Pure functions, no Ansible imports beyond module_utils: the module ``sudoers_file`` runs them
on the host, the filter ``sudoers_errors`` runs the validation on the controller. Grammar
follows sudoers(5) of sudo 1.9 (checked with ``visudo -cf`` and ``sudo -l -U``). The work is
split by step (sudoers_values, sudoers_validate, sudoers_resolve, sudoers_render); their
public names are importable from here.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_render import (
    DEFAULT_HEADER,
    escape_arg,
    render,
    render_command,
    render_group,
    render_runas,
    render_who,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_resolve import (
    SEARCH_PATH,
    find_program,
    is_executable,
    missing_message,
    resolve,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_sudo_rs import (
    sudo_rs_problems,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_validate import (
    MISSING_POLICIES,
    validate,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_values import (
    MODULE_LABELS,
    RESERVED_WORDS,
    SudoersError,
    as_bool,
    check_domain,
    check_file_path,
    check_group,
    check_header,
    check_user,
    labels_for,
    parse_command,
    parse_runas,
    quote,
)

__all__ = [
    "DEFAULT_HEADER",
    "MISSING_POLICIES",
    "MODULE_LABELS",
    "RESERVED_WORDS",
    "SEARCH_PATH",
    "SudoersError",
    "as_bool",
    "build",
    "check_domain",
    "check_file_path",
    "check_group",
    "check_header",
    "check_user",
    "escape_arg",
    "find_program",
    "is_executable",
    "labels_for",
    "missing_message",
    "parse_command",
    "parse_runas",
    "quote",
    "render",
    "render_command",
    "render_group",
    "render_runas",
    "render_who",
    "resolve",
    "sudo_rs_problems",
    "validate",
]


def build(params, labels=None, search_path=SEARCH_PATH, sudo_rs=None):
    """Validate, resolve and render in one go, applying the missing-commands policy.

    params holds rules, command_aliases, domain, fully_qualified, missing_commands, header.
    sudo_rs, when sudo-rs reads the rules on this host, says which (for messages): what it
    cannot express is refused. Returns a dict: content, resolved, skipped, warnings, spec.
    Raises SudoersError.
    """
    labels = labels or MODULE_LABELS
    header = params.get("header")
    header = DEFAULT_HEADER if header is None else header
    spec = validate(
        params.get("rules"),
        command_aliases=params.get("command_aliases"),
        domain=params.get("domain"),
        fully_qualified=params.get("fully_qualified", True),
        missing_commands=params.get("missing_commands", "fail"),
        header=header,
        labels=labels,
    )
    if sudo_rs:
        problems = sudo_rs_problems(spec, sudo_rs, labels)
        if problems:
            raise SudoersError(problems)
    resolved_spec, resolved, missing, notes = resolve(spec, search_path)
    messages = [missing_message(item, labels, spec["missing_commands"]) for item in missing]
    if missing and spec["missing_commands"] == "fail":
        raise SudoersError(messages)
    return {
        "content": render(resolved_spec, header),
        "resolved": resolved,
        "skipped": missing,
        "warnings": messages + notes,
        "spec": resolved_spec,
    }
