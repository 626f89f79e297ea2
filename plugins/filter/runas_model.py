# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that check the environment's ssm_runas data model and hand its values to roles, and
check the automation account and untagged-session inputs of a role that has no model."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

# Imports of this collection's code are made when a filter is called, not here: for every
# task that uses any filter of a collection, Ansible imports every filter file of it, in each
# worker process, that is once per task and host (ansible.plugins.loader.Jinja2Loader). What
# this file imports at the top is paid by every host of every such task; see
# tests/unit/test_filter_imports.py.


def _model_code():
    from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_model

    return runas_model


def runas_model(model):
    code = _model_code()
    try:
        return code.check(model)
    except code.ModelError as exc:
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
    code = _model_code()
    try:
        found = code.role_inputs(model, by_var, list(given), unset)
    except code.ModelError as exc:
        raise AnsibleFilterError(str(exc)) from None
    return dict((by_var[var]["key"], value) for var, value in found.items())


def runas_account_errors(automation, default_user, untagged_sessions, labels):
    required = {"user", "sudo", "shell", "default_user", "untagged"}
    if not isinstance(labels, dict) or not required <= set(labels):
        raise AnsibleFilterError(
            "runas_account_errors labels must name %s" % ", ".join(sorted(required))
        )
    if automation is not None and not isinstance(automation, dict):
        raise AnsibleFilterError("runas_account_errors expects {user, sudo, shell} or null")
    from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_accounts import (
        account_errors,
    )

    return account_errors(automation or None, default_user, untagged_sessions, labels=labels)


class FilterModule(object):
    def filters(self):
        return {
            "runas_model": runas_model,
            "runas_role_inputs": runas_role_inputs,
            "runas_account_errors": runas_account_errors,
        }
