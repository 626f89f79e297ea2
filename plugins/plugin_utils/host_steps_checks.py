# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the host_steps action checks on the controller, before it calls any host.

A step's module checks its own input on the host too; what can be known without the host is
checked here first, so that a bad value fails every host before any connection and in the
same task that would call them (a converged host then costs one task for the role, not an
input check, an assert and a call). Pure functions of the steps: the same steps give the same
messages wherever they run.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.errors import UnsupportedError
from ansible.module_utils.parsing.convert_bool import boolean
from ansible_collections.federated.ssm_runas.plugins.module_utils import (
    ad_homes_main,
    sudoers_file_main,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_validate import (
    validate,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers_values import (
    SudoersError,
    labels_for,
)


def _sudoers_file_errors(args):
    """The rules of a sudoers_file step, as the module would check them (not whether each
    command exists: only the host knows), with its caller's names for the options."""
    spec = sudoers_file_main.ARGUMENT_SPEC
    params = dict((key, option.get("default")) for key, option in spec.items())
    params.update(args)
    if params["state"] != "present":
        return []
    # The values as given, as the role's own check saw them, so that messages name the
    # caller's variables; then the module's argument spec for anything else.
    try:
        validate(
            params["rules"],
            command_aliases=params["command_aliases"],
            domain=params["domain"],
            fully_qualified=params["fully_qualified"],
            missing_commands=params["missing_commands"],
            path=params["path"],
            header=params.get("header"),
            labels=labels_for(params["var_prefix"] or "", params["var_names"] or {}),
        )
    except SudoersError as error:
        return list(error.errors)
    result = ArgumentSpecValidator(spec).validate(dict(args))
    return [
        "sudoers_file step: %s%s"
        % ("unsupported parameters: " if isinstance(error, UnsupportedError) else "", error)
        for error in result.errors
    ]


def _ad_homes_errors(args):
    """A refresh interval the timer cannot keep, named as the caller names it."""
    try:
        interval = int(args.get("refresh_interval", 300))
    except (TypeError, ValueError):
        return []  # the module's argument spec says what is wrong with it, on the host
    problem = ad_homes_main.interval_error(
        dict(
            args,
            refresh_interval=interval,
            refresh_timer=boolean(args.get("refresh_timer", False), strict=False),
        )
    )
    return [problem] if problem else []


# Module name to its controller-side check; modules whose input only the host can judge have none.
CHECKS = {"sudoers_file": _sudoers_file_errors, "ad_homes": _ad_homes_errors}


def step_errors(steps):
    """Every problem of every step that can be found without the host, as messages."""
    if not isinstance(steps, list):
        return [
            "steps must be a list of {module, name, args, args_from}, not %s" % type(steps).__name__
        ]
    errors = []
    for index, step in enumerate(steps):
        if not isinstance(step, dict) or not isinstance(step.get("args", {}), dict):
            errors.append("steps[%d] must be a mapping with module and args" % index)
            continue
        check = CHECKS.get(step.get("module"))
        if check:
            errors.extend(check(step.get("args") or {}))
    return errors
