# Copyright: (c) 2026, federated.ssm_runas maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of federated.ssm_runas.host_steps (documentation in the module).

Checks on the controller what the steps' modules would refuse on the host anyway
(plugin_utils/host_steps_checks.py), so bad input fails before any connection; then runs the
steps in one call to the host or, with defer_to, hands them to a variable for a later call.
One task does what took an input check, an assert and a call: Ansible starts a worker process
per task and host, which is most of what a converged host costs the controller.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase, VariableLayer
from ansible.utils.vars import validate_variable_name
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.host_steps_checks import (
    step_errors,
)

MODULE = "federated.ssm_runas.host_steps"


class ActionModule(ActionBase):
    TRANSFERS_FILES = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        args = dict(self._task.args)
        defer_to = args.pop("defer_to", None)
        errors = step_errors(args.get("steps"))
        if errors:
            raise AnsibleActionFail("\n".join(errors))
        if defer_to:
            try:
                validate_variable_name(defer_to)
            except Exception as exc:  # AnsibleError or its parser's own
                raise AnsibleActionFail(
                    "defer_to %r is not a variable name: %s" % (defer_to, exc)
                ) from None
            # A play-scoped variable like set_fact's (not a cached fact), for a later call.
            self.register_host_variables({}, VariableLayer.CACHEABLE_FACT)
            self.register_host_variables({defer_to: args["steps"]}, VariableLayer.EPHEMERAL_FACT)
            result.update(changed=False, deferred_to=defer_to, steps={}, stopped=None)
            return result
        result.update(
            self._execute_module(module_name=MODULE, module_args=args, task_vars=task_vars)
        )
        return result
