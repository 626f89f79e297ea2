# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that check the environment's ssm_runas data model and hand its values to roles."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_model import (
    ModelError,
    check,
    role_inputs,
)


def runas_model(model):
    try:
        return check(model)
    except ModelError as exc:
        raise AnsibleFilterError(str(exc)) from None


def runas_role_inputs(model, mapping, given, unset):
    if not isinstance(mapping, dict) or not all(
        isinstance(how, dict) and "var" in how and "from" in how for how in mapping.values()
    ):
        raise AnsibleFilterError("runas_role_inputs expects {input: {var, from[, default]}}")
    by_var = dict((how["var"], dict(how, key=key)) for key, how in mapping.items())
    for how in by_var.values():
        if how.get("same_as"):
            how["same_as"] = mapping[how["same_as"]]["var"]
    try:
        found = role_inputs(model, by_var, list(given), unset)
    except ModelError as exc:
        raise AnsibleFilterError(str(exc)) from None
    return dict((by_var[var]["key"], value) for var, value in found.items())


class FilterModule(object):
    def filters(self):
        return {"runas_model": runas_model, "runas_role_inputs": runas_role_inputs}
