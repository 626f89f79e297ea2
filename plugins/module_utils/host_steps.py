# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Several of this collection's target-side modules in one remote call.

Every round trip to a host costs about as much as a whole small module, so a converged host
should be checked in one. A *step* is one of our modules, run in the same process: its
arguments are validated against that module's own argument spec, and its code runs unchanged
against a stand-in for AnsibleModule whose exit_json/fail_json end the step instead of the
process. A step whose result carries ``stop: true`` ends the run after it (for example a probe
that finds the host not joined yet): the caller then does the slow part with its own tasks.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import copy

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator


class StepEnded(Exception):
    """exit_json or fail_json was called by a step; carries its result."""

    def __init__(self, result, failed):
        super(StepEnded, self).__init__(result.get("msg", ""))
        self.result = result
        self.failed = failed


class StepModule(object):
    """What a step sees as its AnsibleModule: its own params, the real module for the rest."""

    def __init__(self, parent, params):
        self._parent = parent
        self.params = params
        self.check_mode = parent.check_mode
        self._diff = parent._diff
        self.warnings = []

    def exit_json(self, **result):
        raise StepEnded(result, failed=False)

    def fail_json(self, msg, **result):
        result["msg"] = msg
        raise StepEnded(result, failed=True)

    def warn(self, warning):
        self.warnings.append(warning)
        self._parent.warn(warning)

    def __getattr__(self, name):
        # run_command, get_bin_path, atomic_move, tmpdir, ... of the real module.
        return getattr(self._parent, name)


def _validate(name, spec, args):
    secret = sorted(key for key, option in spec.items() if option.get("no_log"))
    if secret:
        # The steps' arguments are one option of this module, logged as a whole.
        raise StepEnded(
            {
                "msg": "step %s: a module with secret options (%s) cannot be a step"
                % (name, ", ".join(secret))
            },
            failed=True,
        )
    result = ArgumentSpecValidator(spec).validate(copy.deepcopy(args or {}))
    if result.error_messages:
        raise StepEnded(
            {"msg": "step %s: %s" % (name, "; ".join(result.error_messages))}, failed=True
        )
    return result.validated_parameters


def _from_steps(name, results, args_from):
    """{arg: value} for args_from's {arg: 'step.key.key'} paths into earlier steps' results."""
    values = {}
    for arg, path in (args_from or {}).items():
        value = results
        for part in path.split("."):
            if not isinstance(value, dict) or part not in value:
                raise StepEnded(
                    {
                        "msg": "step %s: args_from %s=%s: no such value in the earlier steps' "
                        "results" % (name, arg, path)
                    },
                    failed=True,
                )
            value = value[part]
        values[arg] = value
    return values


def run_steps(parent, steps, registry):
    """Run steps [{name, module, args, args_from}] in order on parent (the real AnsibleModule).

    args_from maps an argument to a dotted path into the results of earlier steps
    (``probe.platform.sssd_conf_mode``), for values only the host knows.

    registry maps a module name to (argument_spec, run): run(module) ends with exit_json or
    fail_json like a module's main. Returns a result dict: changed, failed, steps (name ->
    result), stopped (the step that asked to stop, or None), diff (a list, one per step).
    """
    out = {"changed": False, "failed": False, "steps": {}, "stopped": None, "diff": []}
    for step in steps:
        module_name = step["module"]
        name = step.get("name") or module_name
        if name in out["steps"]:
            out.update(failed=True, msg="step name %s is used twice: name the steps" % name)
            return out
        spec, run = registry[module_name]
        try:
            args = dict(step.get("args") or {})
            args.update(_from_steps(name, out["steps"], step.get("args_from")))
            params = _validate(name, spec, args)
            run(StepModule(parent, params))
        except StepEnded as ended:
            result = ended.result
            failed = ended.failed
        else:
            result = {"msg": "step %s ended without a result" % name}
            failed = True
        diff = result.pop("diff", None)
        if diff:
            out["diff"].extend(diff if isinstance(diff, list) else [diff])
        out["steps"][name] = result
        out["changed"] = out["changed"] or bool(result.get("changed"))
        if failed:
            out.update(failed=True, msg="step %s: %s" % (name, result.get("msg", "failed")))
            return out
        if result.get("stop"):
            out["stopped"] = name
            return out
    return out
