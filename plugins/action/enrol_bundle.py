# Copyright: (c) 2026, federated.ssm_runas maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of federated.ssm_runas.enrol_bundle (documentation in the module stub)."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import tempfile
from pathlib import Path

from ansible.errors import AnsibleActionFail
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import (
    enrol_bundle,
    enrol_plan,
    enrol_script,
)

# This file is <collection>/plugins/action/enrol_bundle.py.
COLLECTION_ROOT = Path(__file__).resolve().parents[2]

ARGS = {
    "enrol": {"type": "dict", "required": True},
    "region": {"type": "str", "required": True},
    "account_id": {"type": "str", "required": True},
    "dest": {"type": "path", "required": True},
    "secret_given": {"type": "bool", "default": False},
    "secret_label": {"type": "str", "default": "the join password"},
    "validate_only": {"type": "bool", "default": False},
    "linux_side": {
        "type": "dict",
        "required": True,
        "options": {
            "roles": {"type": "list", "elements": "str", "required": True},
            "secret_var": {"type": "str", "required": True, "no_log": False},
            "join_method_var": {"type": "str", "required": True},
        },
    },
    "var_prefix": {"type": "str", "default": ""},
}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        checked = ArgumentSpecValidator(ARGS).validate(self._task.args)
        if checked.error_messages:
            raise AnsibleActionFail("; ".join(checked.error_messages))
        args = checked.validated_parameters
        prefix = args["var_prefix"]
        inner = ArgumentSpecValidator(enrol_plan.SPEC).validate(args["enrol"])
        if inner.error_messages:
            raise AnsibleActionFail(
                "\n".join(f"{prefix.rstrip('.')}: {msg}" for msg in inner.error_messages)
            )
        settings = inner.validated_parameters
        if settings["secret_store"] in enrol_plan.SECRET_STORES:
            settings["secret_name"] = enrol_plan.secret_name(settings)
        errors = enrol_plan.check(
            dict(settings, region=args["region"], account_id=args["account_id"]), prefix
        )
        writes_secret = settings["state"] == "present" and settings["manage_secret"]
        if writes_secret and not args["secret_given"]:
            errors.append(
                f"{args['secret_label']} is empty: {prefix}manage_secret writes it into "
                f"{settings['secret_name']}; set it (from a vault), or set manage_secret false "
                "to name a secret someone else keeps"
            )
        if errors:
            raise AnsibleActionFail("\n".join(errors))
        result.update(changed=False, settings=settings, policy_name=enrol_plan.POLICY_NAME)
        if settings["state"] == "absent":
            return result
        side = enrol_bundle.LinuxSide(
            roles=tuple(args["linux_side"]["roles"]),
            secret_var=args["linux_side"]["secret_var"],
            join_method_var=args["linux_side"]["join_method_var"],
        )
        names = enrol_bundle.linux_var_names(COLLECTION_ROOT, side)
        available = {
            name: self._templar.template(task_vars[name])
            for name in [enrol_bundle.MODEL_VAR, *names]
            if name in (task_vars or {})
        }
        try:
            linux_vars = enrol_bundle.pick_vars(available, names, side, settings["linux_vars"])
            enrol_bundle.check_join_method(linux_vars, side)
            if args["validate_only"]:
                result["shipped_vars"] = sorted(linux_vars)
                return result
            data = enrol_bundle.build(COLLECTION_ROOT, linux_vars, side)
        except (enrol_bundle.BundleError, OSError) as exc:
            raise AnsibleActionFail(f"{prefix}linux_vars: {exc}") from None
        sha = enrol_bundle.sha256(data)
        key = enrol_plan.bundle_key(settings["prefix"], sha)
        bundle_file = self._keep(Path(args["dest"]), f"{sha}{enrol_plan.BUNDLE_SUFFIX}", data)
        config = enrol_script.config(
            bucket=settings["bucket"],
            key=key,
            sha256=sha,
            secret_store=settings["secret_store"],
            secret_name=settings["secret_name"],
            region=args["region"],
            retry_seconds=settings["retry_seconds"],
        )
        try:
            script = enrol_script.user_data(config)
        except ValueError as exc:
            raise AnsibleActionFail(str(exc)) from None
        result.update(
            sha256=sha,
            key=key,
            bundle_file=str(bundle_file),
            size=len(data),
            shipped_vars=sorted(linux_vars),
            user_data=script,
            ssm_document=enrol_script.ssm_document(script),
            instance_policy=enrol_plan.instance_policy(
                bucket=settings["bucket"],
                key=key,
                secret_store=settings["secret_store"],
                secret_name=settings["secret_name"],
                region=args["region"],
                account_id=args["account_id"],
                kms_key_arn=settings["kms_key_arn"],
            ),
            trust_policy=enrol_plan.trust_policy(args["region"]),
        )
        return result

    @staticmethod
    def _keep(dest: Path, name: str, data: bytes) -> Path:
        """The bundle under dest, written whole (temp file renamed) unless it is there already.

        Written in check mode too: it is the controller's own artifact (named by its content),
        which the upload's check compares with the stored object.
        """
        path = dest / name
        if path.is_file() and path.stat().st_size == len(data):
            return path
        dest.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(prefix=".bundle-", dir=dest)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        return path
