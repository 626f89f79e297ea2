#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: federated.ssm_runas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
module: runas_aws_info
short_description: Read back the AWS side of Session Manager run-as for a preflight report
version_added: 0.1.0
author:
  - federated.ssm_runas maintainers (@federated)
description:
  - Reads, and never changes, what decides whether a federated AD user can start a
    Session Manager shell as themselves, in as few API calls as possible.
  - The trust policy of each federation role (C(iam:GetRole)).
  - The SAML providers of the account (C(iam:ListSAMLProviders)).
  - The Session Manager preferences document C(SSM-SessionManagerRunShell), both its
    default version (what the console shows) and its latest version (what
    C(start-session) uses).
options:
  role_names:
    description: Names of the IAM roles that the identity provider's users assume.
    type: list
    elements: str
    required: true
  document_name:
    description: Name of the Session Manager preferences document.
    type: str
    default: SSM-SessionManagerRunShell
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
  - ansible.builtin.action_common_attributes
  - federated.ssm_runas.attributes.info
"""

EXAMPLES = r"""
- name: Federation roles and Session Manager preferences are read back
  federated.ssm_runas.runas_aws_info:
    role_names: [ADFS-SSMRunAs]
    region: us-east-1
  register: runas_aws
"""

RETURN = r"""
account_id:
  description: The account of the credentials in use (from C(sts:GetCallerIdentity)).
  returned: always
  type: str
  sample: "123456789012"
saml_providers:
  description: ARNs of the account's SAML providers.
  returned: always
  type: list
  elements: str
  sample: [arn:aws:iam::123456789012:saml-provider/ADFS]
roles:
  description: One entry per requested role.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Role name as requested.
      type: str
    found:
      description: Whether the role exists.
      type: bool
    arn:
      description: Role ARN.
      type: str
      returned: when found
    trust_policy:
      description: The role's trust policy (assume role policy document) as a mapping.
      type: dict
      returned: when found
preferences:
  description: The preferences document.
  returned: always
  type: dict
  contains:
    name:
      description: Document name.
      type: str
    found:
      description: Whether the document exists.
      type: bool
    default_version:
      description: Default version number.
      type: str
      returned: when found
    latest_version:
      description: Latest version number.
      type: str
      returned: when found
    default:
      description: C(inputs) of the default version.
      type: dict
      returned: when found
    latest:
      description: C(inputs) of the latest version.
      type: dict
      returned: when found
"""

import json  # noqa: E402 - ansible-test wants the docs before imports
from urllib.parse import unquote  # noqa: E402

try:
    import botocore
except ImportError:  # AnsibleAWSModule reports a missing botocore
    botocore = None

from ansible_collections.amazon.aws.plugins.module_utils.botocore import (  # noqa: E402
    is_boto3_error_code,
)
from ansible_collections.amazon.aws.plugins.module_utils.modules import (  # noqa: E402
    AnsibleAWSModule,
)
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry  # noqa: E402
from ansible_collections.federated.ssm_runas.plugins.module_utils.ssm_preferences import (  # noqa: E402
    DOCUMENT_NAME,
)


def as_policy(document):
    """IAM returns the trust policy URL-encoded; boto3 usually decodes it, moto may not."""
    if isinstance(document, dict):
        return document
    text = unquote(document or "")
    return json.loads(text) if text else {}


def read_role(client, name):
    try:
        role = client.get_role(RoleName=name, aws_retry=True)["Role"]
    except is_boto3_error_code("NoSuchEntity"):
        return {"name": name, "found": False}
    return {
        "name": name,
        "found": True,
        "arn": role["Arn"],
        "trust_policy": as_policy(role.get("AssumeRolePolicyDocument")),
    }


def read_inputs(client, name, version):
    found = client.get_document(
        Name=name, DocumentVersion=version, DocumentFormat="JSON", aws_retry=True
    )
    doc = json.loads(found["Content"])
    return doc.get("inputs") or {} if isinstance(doc, dict) else {}


def read_preferences(client, name):
    try:
        described = client.describe_document(Name=name, aws_retry=True)["Document"]
    except is_boto3_error_code("InvalidDocument"):
        return {"name": name, "found": False}
    latest, default = described["LatestVersion"], described["DefaultVersion"]
    # moto cannot get "$DEFAULT", so versions are read by number.
    result = {
        "name": name,
        "found": True,
        "latest_version": latest,
        "default_version": default,
        "latest": read_inputs(client, name, latest),
    }
    result["default"] = (
        result["latest"] if default == latest else read_inputs(client, name, default)
    )
    return result


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            role_names=dict(type="list", elements="str", required=True),
            document_name=dict(type="str", default=DOCUMENT_NAME),
        ),
        supports_check_mode=True,
    )
    retry = AWSRetry.jittered_backoff()
    iam = module.client("iam", retry_decorator=retry)
    ssm = module.client("ssm", retry_decorator=retry)
    sts = module.client("sts", retry_decorator=retry)
    try:
        account_id = sts.get_caller_identity(aws_retry=True)["Account"]
        providers = [
            p["Arn"] for p in iam.list_saml_providers(aws_retry=True).get("SAMLProviderList", [])
        ]
        roles = [read_role(iam, name) for name in dict.fromkeys(module.params["role_names"])]
        preferences = read_preferences(ssm, module.params["document_name"])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
        module.fail_json_aws(exc, msg="Reading the run-as federation state failed")
    except ValueError as exc:
        module.fail_json(msg="A stored policy or document is not JSON: %s" % exc)
    module.exit_json(
        changed=False,
        account_id=account_id,
        saml_providers=providers,
        roles=roles,
        preferences=preferences,
    )


if __name__ == "__main__":
    main()
