#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: federated.ssm_runas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: session_preferences
short_description: Manage AWS Systems Manager Session Manager preferences
version_added: 0.1.0
author: federated.ssm_runas maintainers (@federated)
description:
  - Manages the Session Manager preferences document C(SSM-SessionManagerRunShell)
    (document type C(Session)) of one region.
  - Creates the document, or adopts the one the console made when preferences were first saved.
  - Only the options you set change; every other input of the document is kept as it is.
  - An update creates a new document version (C(DocumentVersion=$LATEST)) and makes it the
    default version, so the console (default version) and C(start-session) (latest version)
    agree.
  - An unchanged run makes one API call (C(GetDocument) of the default version).
  - When SSM refuses content identical to an older version (C(DuplicateDocumentContent)), the
    same JSON is sent with different whitespace.
options:
  state:
    description:
      - V(present) creates or updates the document; V(absent) deletes it, which returns the
        region to the Session Manager defaults.
    type: str
    choices: [present, absent]
    default: present
  name:
    description: Name of the preferences document; Session Manager reads only the default name.
    type: str
    default: SSM-SessionManagerRunShell
  run_as_enabled:
    description: Sessions on Linux run as the principal's run-as tag (or O(run_as_default_user)).
    type: bool
  run_as_default_user:
    description:
      - Linux user for sessions of principals without a run-as tag.
      - Required when run-as is enabled. Letters, digits and C(._@-) only, because the agent
        passes it unquoted to C(sh -c "id <name>"). V("") clears it.
    type: str
  idle_session_timeout:
    description: Minutes of inactivity before a session ends, 1 to 60.
    type: int
  max_session_duration:
    description: Maximum session length in minutes, 1 to 1440.
    type: int
  s3_bucket_name:
    description: S3 bucket for session logs; V("") turns S3 logging off.
    type: str
  s3_key_prefix:
    description: Key prefix for session logs in O(s3_bucket_name).
    type: str
  s3_encryption_enabled:
    description: Send session logs only to an encrypted S3 bucket.
    type: bool
  cloudwatch_log_group_name:
    description: CloudWatch Logs group for session logs; V("") turns CloudWatch logging off.
    type: str
  cloudwatch_encryption_enabled:
    description: Send session logs only to an encrypted log group.
    type: bool
  cloudwatch_streaming_enabled:
    description: Stream session logs to CloudWatch (V(false) uploads them when sessions end).
    type: bool
  kms_key_id:
    description: KMS key id or ARN that encrypts session data; V("") turns it off.
    type: str
  shell_profile:
    description: Commands run at the start of every session; unset keys are kept.
    type: dict
    suboptions:
      linux:
        description: Shell commands for Linux instances.
        type: str
      windows:
        description: PowerShell commands for Windows instances.
        type: str
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details: The JSON document before and after.
  platform:
    platforms: posix
notes:
  - Options left unset are not compared and not changed.
  - The module compares against the default version. A newer, non-default version made
    outside this module and the console is not detected.
"""

EXAMPLES = r"""
- name: Sessions run as the AD user in the run-as tag
  federated.ssm_runas.session_preferences:
    run_as_enabled: true
    run_as_default_user: ssm-fallback
    idle_session_timeout: 20
    max_session_duration: 480
    cloudwatch_log_group_name: /ssm/sessions
    cloudwatch_streaming_enabled: true
    shell_profile:
      linux: exec /bin/bash -l

- name: Session Manager preferences are back to defaults
  federated.ssm_runas.session_preferences:
    state: absent
"""

RETURN = r"""
document:
  description: The preferences document after the change (before it, in check mode).
  returned: when O(state=present)
  type: dict
  sample:
    schemaVersion: "1.0"
    sessionType: Standard_Stream
    inputs:
      runAsEnabled: true
      runAsDefaultUser: ssm-fallback
      idleSessionTimeout: "20"
document_version:
  description: The default (and latest) version of the document; unknown in check mode.
  returned: when O(state=present) and the document exists
  type: str
  sample: "3"
changes:
  description: Each input that changed, or would change in check mode.
  returned: always
  type: list
  elements: dict
  sample: [{input: idleSessionTimeout, before: "20", after: "15"}]
"""

# ansible-test wants the docs before the imports.
from ansible_collections.amazon.aws.plugins.module_utils.botocore import (  # noqa: E402
    is_boto3_error_code,
)
from ansible_collections.amazon.aws.plugins.module_utils.errors import AWSErrorHandler  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.exceptions import AnsibleAWSError  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry  # noqa: E402
from ansible_collections.federated.ssm_runas.plugins.module_utils import ssm_preferences as prefs  # noqa: E402


class AnsibleSSMError(AnsibleAWSError):
    pass


class SSMErrorHandler(AWSErrorHandler):
    _CUSTOM_EXCEPTION = AnsibleSSMError

    @classmethod
    def _is_missing(cls):
        return is_boto3_error_code("InvalidDocument")


@SSMErrorHandler.list_error_handler("get document {name}")
def read_preferences(client, name):
    """The default version (what the console shows) as (document, version), or None."""
    found = client.get_document(Name=name, DocumentFormat="JSON", aws_retry=True)
    return prefs.parse(found["Content"], name), found["DocumentVersion"]


@SSMErrorHandler.common_error_handler("create document {name}")
def create_preferences(client, check_mode, name, doc):
    if check_mode:
        return None
    made = client.create_document(
        Name=name,
        Content=prefs.render(doc),
        DocumentType=prefs.DOCUMENT_TYPE,
        DocumentFormat="JSON",
        aws_retry=True,
    )
    return made["DocumentDescription"]["DocumentVersion"]


@SSMErrorHandler.common_error_handler("update document {name}")
def update_preferences(client, check_mode, name, doc):
    """New latest version; returns its number (None in check mode)."""
    if check_mode:
        return None
    for variant in range(prefs.RENDER_VARIANTS):
        try:
            updated = client.update_document(
                Name=name,
                Content=prefs.render(doc, variant),
                DocumentVersion="$LATEST",
                DocumentFormat="JSON",
                aws_retry=True,
            )
            return updated["DocumentDescription"]["DocumentVersion"]
        except is_boto3_error_code("DuplicateDocumentContent"):
            # An older version holds this exact text: the same JSON, spaced differently, is new.
            continue
    raise AnsibleSSMError(
        message="Failed to update document %s: every rendering of the "
        "content duplicates an older version; delete old versions "
        "of the document and retry" % name
    )


@SSMErrorHandler.common_error_handler("make version {version} the default of document {name}")
def set_default_version(client, check_mode, name, version):
    if not check_mode:
        client.update_document_default_version(Name=name, DocumentVersion=version, aws_retry=True)
    return True


@SSMErrorHandler.deletion_error_handler("delete document {name}")
def delete_preferences(client, check_mode, name):
    if not check_mode:
        client.delete_document(Name=name, aws_retry=True)
    return True


def ensure_present(module, client, name, wanted):
    # One read: the default version. A run that died between update and set-default is healed:
    # the stale default differs, and the update that follows dodges DuplicateDocumentContent.
    found = read_preferences(client, name)
    current, version = found if found is not None else (None, None)
    doc = prefs.check_merged(prefs.merge(current, wanted))
    changes = prefs.changes(current, doc)
    result = {
        "changed": bool(changes),
        "changes": changes,
        "document": doc,
        "diff": {
            "before": prefs.diff_text(current),
            "after": prefs.diff_text(doc),
            "before_header": name,
            "after_header": name,
        },
    }
    if found is None:
        version = create_preferences(client, module.check_mode, name, doc)
    elif changes:
        version = update_preferences(client, module.check_mode, name, doc)
        if version is not None:
            set_default_version(client, module.check_mode, name, version)
    if version is not None:
        result["document_version"] = version
    return result


def ensure_absent(module, client, name):
    found = read_preferences(client, name)
    if found is None:
        return {"changed": False, "changes": []}
    current = found[0]
    return {
        "changed": delete_preferences(client, module.check_mode, name),
        "changes": prefs.changes(current, {}),
        "diff": {
            "before": prefs.diff_text(current),
            "after": "",
            "before_header": name,
            "after_header": name,
        },
    }


def main():
    argument_spec = dict(
        state=dict(type="str", choices=["present", "absent"], default="present"),
        name=dict(type="str", default=prefs.DOCUMENT_NAME),
        run_as_enabled=dict(type="bool"),
        run_as_default_user=dict(type="str"),
        idle_session_timeout=dict(type="int"),
        max_session_duration=dict(type="int"),
        s3_bucket_name=dict(type="str"),
        s3_key_prefix=dict(type="str", no_log=False),
        s3_encryption_enabled=dict(type="bool"),
        cloudwatch_log_group_name=dict(type="str"),
        cloudwatch_encryption_enabled=dict(type="bool"),
        cloudwatch_streaming_enabled=dict(type="bool"),
        kms_key_id=dict(type="str"),
        shell_profile=dict(
            type="dict", options=dict(linux=dict(type="str"), windows=dict(type="str"))
        ),
    )
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    name = module.params["name"]
    try:
        # Bad values fail here, before any AWS call.
        wanted = prefs.desired_inputs(module.params)
    except prefs.PreferencesError as exc:
        module.fail_json(msg=str(exc))

    client = module.client("ssm", retry_decorator=AWSRetry.jittered_backoff())
    try:
        if module.params["state"] == "absent":
            result = ensure_absent(module, client, name)
        else:
            result = ensure_present(module, client, name, wanted)
    except AnsibleAWSError as exc:
        module.fail_json_aws_error(exc)
    except prefs.PreferencesError as exc:
        module.fail_json(msg=str(exc))
    if not module._diff:
        result.pop("diff", None)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
