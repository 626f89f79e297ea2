# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
name: sudoers_errors
short_description: Problems in sudo rules for AD groups, before anything reaches a host
version_added: 0.1.0
description:
  - Runs the same checks as the module M(federated.ssm_runas.sudoers_file) on the controller
    and returns every problem as a message naming the variable and the value.
  - 'For example: C(rules[2].group "Domain Admins,ALL" contains ",": AD group names
    may not contain commas).'
  - An empty list means the input is valid.
  - Whether commands exist is checked on each host by the module, not here.
author:
  - federated.ssm_runas maintainers (@federated)
options:
  _input:
    description: The rules, as in O(federated.ssm_runas.sudoers_file#module:rules).
    type: list
    elements: dict
    required: true
  command_aliases:
    description: Alias name to list of commands.
    type: dict
    default: {}
  domain:
    description: AD domain for fully-qualified group names.
    type: str
    default: ''
  fully_qualified:
    description: Whether group names get C(@domain).
    type: bool
    default: true
  missing_commands:
    description: V(fail) or V(warn).
    type: str
    default: fail
  path:
    description: The sudoers drop-in file, checked when given.
    type: str
  var_prefix:
    description: Prefix put before each option's name in messages (a calling role's prefix).
    type: str
    default: ''
  var_names:
    description: "The caller's own name for particular options, e.g. C({path: myrole_file})."
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Sudo rule input is well-formed
  ansible.builtin.assert:
    that: __errors | length == 0
    fail_msg: "{{ __errors | join('; ') }}"
    quiet: true
  vars:
    __errors: "{{ rules | federated.ssm_runas.sudoers_errors(
      command_aliases=aliases, domain='example.test') }}"
"""

RETURN = r"""
_value:
  description: One message per problem; empty when the input is valid.
  type: list
  elements: str
"""

# Imports of this collection's code are made when a filter is called, not here: for every
# task that uses any filter of a collection, Ansible imports every filter file of it, in each
# worker process, that is once per task and host (ansible.plugins.loader.Jinja2Loader). What
# this file imports at the top is paid by every host of every such task; see
# tests/unit/test_filter_imports.py.


def sudoers_errors(
    rules,
    command_aliases=None,
    domain="",
    fully_qualified=True,
    *,
    missing_commands="fail",
    path=None,
    var_prefix="",
    var_names=None,
):
    from ansible_collections.federated.ssm_runas.plugins.module_utils.sudoers import (
        SudoersError,
        labels_for,
        validate,
    )

    try:
        validate(
            rules,
            command_aliases=command_aliases,
            domain=domain,
            fully_qualified=fully_qualified,
            missing_commands=missing_commands,
            path=path,
            labels=labels_for(var_prefix, var_names),
        )
    except SudoersError as error:
        return error.errors
    return []


class FilterModule:
    def filters(self):
        return {"sudoers_errors": sudoers_errors}
