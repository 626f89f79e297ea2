# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters behind playbooks/verify.yml: which tag values to probe, the report, its renderings."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

from ansible.errors import AnsibleFilterError
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import runas_report as rr
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_model import (
    ModelError,
    normalize,
)


def _model(model):
    try:
        # Accept the raw inventory model as well as the already normalised one.
        return normalize(model)
    except ModelError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def runas_report_tags(directory, model):
    """Distinct run-as tag values (what the claim rule emits) of the directory's users."""
    attribute = _model(model)["ldap_attribute"]
    values = [
        rr.tag_value(u, attribute)
        for u in (directory or {}).get("users") or []
        if u.get("found", True)
    ]
    return list(dict.fromkeys(v for v in values if v))


def _broken(result):
    if not isinstance(result, dict):
        return "no result"
    if result.get("unreachable"):
        return "unreachable: %s" % (result.get("msg") or "")
    if result.get("failed"):
        return result.get("msg") or "failed"
    return None


def _account(result):
    """A registered runas_aws_info result as build_report reads it."""
    out = dict(result) if isinstance(result, dict) else {}
    out["error"] = _broken(result)
    return out


def _instance(result):
    """A registered runas_probe result as build_report reads it."""
    error = _broken(result)
    return {
        "ok": error is None,
        "error": error,
        "names": (result or {}).get("names") or {} if error is None else {},
    }


def runas_report(
    directory, model, *, accounts=None, instances=None, expect=None, env="", generated_at=""
):
    """accounts/instances map a host to its registered runas_aws_info/runas_probe result."""
    accounts = {h: _account(r) for h, r in (accounts or {}).items()}
    instances = {h: _instance(r) for h, r in (instances or {}).items()}
    try:
        return rr.build_report(
            _model(model),
            directory,
            accounts,
            instances,
            expect=expect,
            env=env,
            generated_at=generated_at,
        )
    except rr.ReportInputError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def runas_report_render(report, fmt="table"):
    renderers = {"table": rr.render_table, "markdown": rr.render_markdown, "json": rr.render_json}
    if fmt not in renderers:
        raise AnsibleFilterError(
            "runas_report_render format %r: use table, markdown or json" % (fmt,)
        )
    return renderers[fmt](report)


class FilterModule(object):
    def filters(self):
        return {
            "runas_report_tags": runas_report_tags,
            "runas_report": runas_report,
            "runas_report_render": runas_report_render,
        }
