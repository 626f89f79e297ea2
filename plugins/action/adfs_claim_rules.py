# Copyright: (c) 2026, federated.ssm_runas maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of federated.ssm_runas.adfs_claim_rules (documentation in the module stub).

Validates and renders on the controller, then either runs the tiny Windows module
adfs_rule_set over the task's connection (one read, plus one write when something changes) or,
in export mode, writes the change script and rule text to a controller directory.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import datetime
import os
import tempfile

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.text.converters import to_text
from ansible.plugins.action import ActionBase
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import (
    adfs_export,
    adfs_rules,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.output_dir import (
    OutputDirError,
    check_outside_collections,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.runas_schema import (
    schema_default,
)

AWS_METADATA_URL = "https://signin.aws.amazon.com/static/saml-metadata.xml"
READ_WRITE_MODULE = "federated.ssm_runas.adfs_rule_set"
TRUST_MODULE = "microsoft.ad.fs_trust"

ARGUMENT_SPEC = {
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "mode": {"type": "str", "default": schema_default("adfs.mode"), "choices": ["winrm", "export"]},
    "relying_party": {"type": "str", "default": schema_default("adfs.relying_party")},
    # The rule is named after the tag it sends unless told otherwise.
    "rule_name": {"type": "str", "default": schema_default("tag_key")},
    "tag_key": {"type": "str", "default": schema_default("tag_key")},
    "ldap_attribute": {"type": "str", "default": schema_default("ldap_attribute")},
    "standard_rules": {"type": "list", "elements": "str", "default": []},
    "saml_provider_name": {"type": "str", "default": schema_default("aws.saml_provider")},
    "group_prefix": {"type": "str", "default": "AWS-"},
    "role_prefix": {"type": "str", "default": ""},
    "role_session_attribute": {"type": "str", "default": "mail"},
    "create_trust": {"type": "bool", "default": False},
    "trust_metadata_url": {"type": "str", "default": AWS_METADATA_URL},
    "backup_dir": {"type": "path"},
    "remote_backup_dir": {"type": "str"},
    "export_dir": {"type": "path"},
    "var_prefix": {"type": "str", "default": ""},
}
REQUIRED_IF = [
    ["mode", "winrm", ["backup_dir"]],
    ["mode", "export", ["export_dir"]],
]


def build_rules(args):
    """(desired rules, names to remove) from validated options; raises AdfsRuleError."""
    prefix = args["var_prefix"]
    adfs_rules.check_relying_party(args["relying_party"], prefix + "relying_party")
    runas = adfs_rules.runas_rule(
        args["rule_name"], args["tag_key"], args["ldap_attribute"], prefix=prefix
    )
    standard = adfs_rules.standard_rules(
        args["standard_rules"],
        saml_provider=args["saml_provider_name"],
        group_prefix=args["group_prefix"],
        role_prefix=args["role_prefix"],
        session_attribute=args["role_session_attribute"],
        prefix=prefix,
    )
    transitive = adfs_rules.transitive_rule(args["rule_name"], args["tag_key"], prefix=prefix)
    if args["state"] == "absent":
        # Absent removes only the run-as rules; the standard rules carry AWS sign-in itself.
        return [], [runas.name, transitive.name]
    return [*standard, runas, transitive], []


def _display_text(text):
    return (text or "").replace("\r\n", "\n")


def write_if_changed(path, content, check_mode):
    """Atomically write ``content`` to ``path`` when it differs; return (changed, before)."""
    before = None
    if os.path.exists(path):
        with open(path, "rb") as f:
            before = f.read().decode("utf-8")
    if before == content:
        return False, before
    if not check_mode:
        directory = os.path.dirname(path)
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".adfs-claims-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(content.encode("utf-8"))
            os.chmod(tmp, 0o644)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise
    return True, before


class RemoteError(Exception):
    pass


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _VALID_ARGS = frozenset(ARGUMENT_SPEC)
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC, required_if=REQUIRED_IF)[1]
        # Every input is checked here, before anything touches the connection.
        try:
            desired, absent = build_rules(args)
            # The controller directory this mode writes to, never an installed collection.
            out = "export_dir" if args["mode"] == "export" else "backup_dir"
            check_outside_collections(
                args[out],
                args["var_prefix"] + out,
                "set it to a directory of your own, or leave it unset to use ssm_runas_output_dir",
            )
        except (adfs_rules.AdfsRuleError, OutputDirError) as e:
            raise AnsibleActionFail(to_text(e)) from None
        check_mode = bool(self._task.check_mode)
        if args["mode"] == "export":
            result.update(self._export(args, desired, absent, check_mode))
        else:
            result.update(self._winrm(args, desired, absent, check_mode, task_vars))
        return result

    def _export(self, args, desired, absent, check_mode):
        trust = {"metadata_url": args["trust_metadata_url"]} if args["create_trust"] else None
        files = adfs_export.artifacts(args["relying_party"], desired, absent, trust=trust)
        changed = False
        diffs = []
        paths = []
        for name in sorted(files):
            path = os.path.join(args["export_dir"], name)
            paths.append(path)
            file_changed, before = write_if_changed(path, files[name], check_mode)
            changed = changed or file_changed
            if file_changed:
                diffs.append(
                    {
                        "before": _display_text(before),
                        "after": _display_text(files[name]),
                        "before_header": path if before is not None else "(absent)",
                        "after_header": path,
                    }
                )
        out = {
            "changed": changed,
            "mode": "export",
            "relying_party": args["relying_party"],
            "artifacts": paths,
            "rules": [{"name": d.name, "text": d.body()} for d in desired],
            "absent": list(absent),
        }
        if self._task.diff and diffs:
            out["diff"] = diffs
        return out

    def _module(self, name, module_args, task_vars):
        res = self._execute_module(module_name=name, module_args=module_args, task_vars=task_vars)
        if res.get("failed"):
            raise RemoteError(res.get("msg") or "%s failed" % name)
        return res

    def _winrm(self, args, desired, absent, check_mode, task_vars):
        rp = args["relying_party"]
        host = task_vars.get("inventory_hostname", "adfs")
        remote_backup_dir = args["remote_backup_dir"] or None

        def read():
            res = self._module(READ_WRITE_MODULE, {"relying_party": rp}, task_vars)
            return (res.get("rules") or "") if res.get("exists") else None

        def write(after, expected):
            module_args = {"relying_party": rp, "rules": after, "expected_rules": expected}
            if remote_backup_dir:
                module_args["backup_dir"] = remote_backup_dir
            return self._module(READ_WRITE_MODULE, module_args, task_vars)

        def create_trust():
            self._module(
                TRUST_MODULE, {"name": rp, "metadata_url": args["trust_metadata_url"]}, task_vars
            )

        def backup(before):
            stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S%fZ")
            path = os.path.join(
                args["backup_dir"], host, "%s-%s.txt" % (adfs_export.slug(rp), stamp)
            )
            write_if_changed(path, before, check_mode=False)
            return path

        try:
            outcome = adfs_rules.converge(
                read,
                write,
                desired,
                absent,
                check_mode=check_mode,
                backup=backup,
                create_trust=create_trust if args["create_trust"] else None,
            )
        except adfs_rules.AdfsTrustMissing:
            prefix = args["var_prefix"]
            raise AnsibleActionFail(
                "%srelying_party %r does not exist on %s: create it (set %screate_trust: true to "
                "add it from %s) or fix the name" % (prefix, rp, host, prefix, AWS_METADATA_URL)
            ) from None
        except (adfs_rules.AdfsRuleError, RemoteError, OSError) as e:
            raise AnsibleActionFail("%s: %s" % (rp, to_text(e))) from e
        out = {
            "changed": outcome["changed"],
            "mode": "winrm",
            "relying_party": rp,
            "actions": outcome["actions"],
            "trust_created": outcome["trust_created"],
            "backup_file": outcome["backup_file"],
            "remote_backup_file": outcome["remote"].get("backup_file"),
            # The job's record keeps the backup too, where the backup directory does not
            # outlive the run (an AWX job's own directories).
            "previous_rules": outcome["before"] if outcome["backup_file"] else None,
            "rules": [{"name": d.name, "text": d.body()} for d in desired],
            "absent": list(absent),
        }
        if self._task.diff and outcome["changed"]:
            out["diff"] = {
                "before": _display_text(outcome["before"]),
                "after": _display_text(outcome["after"]),
                "before_header": "%s: IssuanceTransformRules" % rp,
                "after_header": "%s: IssuanceTransformRules" % rp,
            }
        return out
