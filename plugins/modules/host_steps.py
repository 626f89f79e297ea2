#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: federated.ssm_runas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: host_steps
short_description: Several of this collection's host modules in one round trip
version_added: 0.2.0
author:
  - federated.ssm_runas maintainers (@federated)
description:
  - Runs, in order and in one remote call, steps that are each one of this collection's
    host-side modules with its own arguments. Each step's arguments are checked against that
    module's own argument spec and its code runs unchanged, so a step does exactly what the
    module does in a task of its own, check mode and diff included.
  - A converged host is then checked with one round trip instead of one per module, which is
    most of what an idempotent run costs.
  - A step whose result says C(stop) (M(federated.ssm_runas.ad_join_info) with
    C(stop_unless_ready=true) on a host not joined yet) ends the run after it; RV(stopped)
    names it and the caller does the rest with its own tasks.
  - The first step that fails fails the task with its message; later steps do not run.
options:
  steps:
    description: The steps, in order.
    type: list
    elements: dict
    required: true
    suboptions:
      module:
        description: The module the step runs.
        type: str
        required: true
        choices: [ad_homes, ad_join_info, sudoers_file]
      name:
        description: Key of the step's result in RV(steps); defaults to O(steps[].module).
        type: str
      args:
        description: The module's arguments, as in a task of its own.
        type: dict
        default: {}
      args_from:
        description:
          - Arguments taken from the results of earlier steps, as a mapping of argument name to
            a dotted path C(<step name>.<key>[.<key>...]) - for values only the host knows, such
            as a platform setting the probe step found. They override O(steps[].args).
        type: dict
        default: {}
  defer_to:
    description:
      - Instead of calling the host, set this variable (play-scoped for the host, as
        M(ansible.builtin.set_fact) does) to O(steps) once they pass the controller's checks,
        so a later C(host_steps) task runs them in its call.
      - Either way, what can be checked without the host is checked on the controller first,
        such as the rules, aliases, domain and path of a M(federated.ssm_runas.sudoers_file)
        step, with the names its C(var_prefix) and C(var_names) arguments give them. A bad
        value fails the task before any connection.
    type: str
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
    details: The controller checks the steps' input, then runs them in one call or defers them.
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: Each step behaves as its module does in check mode.
  diff_mode:
    support: full
    details: The diffs of all steps, in order.
  platform:
    platforms: posix
seealso:
  - module: federated.ssm_runas.ad_join_info
  - module: federated.ssm_runas.ad_homes
  - module: federated.ssm_runas.sudoers_file
"""

EXAMPLES = r"""
- name: The host is probed and kept in one call
  federated.ssm_runas.host_steps:
    steps:
      - module: ad_join_info
        args: {realm: EXAMPLE.TEST, stop_unless_ready: true}
  register: host

- name: Join tasks run only when the probe stopped the steps
  ansible.builtin.debug:
    msg: "join needed"
  when: host.stopped == 'ad_join_info'
"""

RETURN = r"""
steps:
  description: Each step's result, by step name, as its module returns it (without its diff).
  returned: always
  type: dict
stopped:
  description: The step that asked to stop, or null when every step ran.
  returned: always
  type: str
deferred_to:
  description: The variable the steps were handed to, when O(defer_to) was given.
  returned: when O(defer_to) is given
  type: str
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.federated.ssm_runas.plugins.module_utils import (  # noqa: E402
    ad_homes_main,
    ad_join_info_main,
    sudoers_file_main,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.host_steps import (  # noqa: E402
    run_steps,
)

REGISTRY = {
    "ad_homes": (ad_homes_main.ARGUMENT_SPEC, ad_homes_main.run),
    "sudoers_file": (sudoers_file_main.ARGUMENT_SPEC, sudoers_file_main.run),
    "ad_join_info": (ad_join_info_main.ARGUMENT_SPEC, ad_join_info_main.run),
}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            steps=dict(
                type="list",
                elements="dict",
                required=True,
                options=dict(
                    module=dict(type="str", required=True, choices=sorted(REGISTRY)),
                    name=dict(type="str"),
                    args=dict(type="dict", default={}),
                    args_from=dict(type="dict", default={}),
                ),
            ),
            # Taken by the action plugin, which never passes it on; here for the docs' sake.
            defer_to=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    result = run_steps(module, module.params["steps"], REGISTRY)
    if not result["diff"]:
        del result["diff"]
    if result.pop("failed"):
        module.fail_json(**result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
