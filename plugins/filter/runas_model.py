# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters that check the environment's ssm_runas data model and derive role inputs from it."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_model import (
    ModelError,
    group_names,
    normalize,
    sudo_rules,
)


def _normalized(model):
    try:
        return normalize(model)
    except ModelError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def runas_model(model):
    return _normalized(model)


def runas_sudo_rules(model):
    return sudo_rules(_normalized(model))


def runas_group_names(model):
    return group_names(_normalized(model))


class FilterModule(object):
    def filters(self):
        return {
            "runas_model": runas_model,
            "runas_sudo_rules": runas_sudo_rules,
            "runas_group_names": runas_group_names,
        }
