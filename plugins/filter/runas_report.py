# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the run-as report: which tag values to probe, the report, its renderings."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError

# Imports of this collection's code are made when a filter is called, not here: for every
# task that uses any filter of a collection, Ansible imports every filter file of it, in each
# worker process, that is once per task and host (ansible.plugins.loader.Jinja2Loader). What
# this file imports at the top is paid by every host of every such task; see
# tests/unit/test_filter_imports.py.


def _report_code():
    from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report

    return runas_report


def _hop_code():
    from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report_hop

    return runas_report_hop


def _model(model):
    try:
        return _report_code().checked_model(model)
    except _hop_code().ReportInputError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def runas_report_tags(directory, model):
    """Distinct run-as tag values (what the claim rule emits) of the directory's users."""
    return _report_code().tag_values(directory, _model(model))


def runas_report_names(directory, model):
    """The tag values, then the default user and the automation account: every name to probe."""
    return _report_code().probe_names(directory, _model(model))


def runas_report(
    directory,
    model,
    *,
    accounts=None,
    instances=None,
    expect=None,
    env="",
    generated_at="",
    command_aliases=None,
    instance_group=None,
    account_group=None,
    connection_var=None,
    extra_users_var=None,
    expect_var=None,
    aws_apply=None,
    instance_apply=None,
    sudo_apply=None,
    accounts_apply=None,
):
    """accounts/instances map a host to its registered runas_aws_info/runas_probe result;
    the last nine are the caller's words for its groups, variables and runs."""
    hop = _hop_code()
    try:
        return _report_code().build_report(
            _model(model),
            directory,
            accounts,
            instances,
            expect=expect,
            command_aliases=command_aliases,
            env=env,
            generated_at=generated_at,
            ctx=hop.context(
                instance_group=instance_group,
                account_group=account_group,
                connection_var=connection_var,
                extra_users_var=extra_users_var,
                expect_var=expect_var,
                aws_apply=aws_apply,
                instance_apply=instance_apply,
                sudo_apply=sudo_apply,
                accounts_apply=accounts_apply,
            ),
        )
    except hop.ReportInputError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def runas_report_render(report, fmt="table"):
    from ansible_collections.federated.ssm_runas.plugins.plugin_utils import (
        runas_report_render as render,
    )

    renderers = {
        "table": render.render_table,
        "markdown": render.render_markdown,
        "json": render.render_json,
    }
    if fmt not in renderers:
        raise AnsibleFilterError(
            "runas_report_render format %r: use table, markdown or json" % (fmt,)
        )
    return renderers[fmt](report)


class FilterModule(object):
    def filters(self):
        return {
            "runas_report_tags": runas_report_tags,
            "runas_report_names": runas_report_names,
            "runas_report": runas_report,
            "runas_report_render": runas_report_render,
        }
