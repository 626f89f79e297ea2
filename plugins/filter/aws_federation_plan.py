# -*- coding: utf-8 -*-
# Copyright: federated.ssm_runas contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
name: aws_federation_plan
short_description: Validate SAML federation data and generate the IAM documents
version_added: 0.1.0
author: federated.ssm_runas maintainers (@federated)
description:
  - Takes the AWS side's inputs (the options below) and returns the SAML provider ARN, each
    role's trust policy and the managed policy that lets federated users start sessions.
  - Every bad value fails with a message naming the variable, the value and the fix, before
    any AWS API call is made.
  - The trust policy allows C(sts:AssumeRoleWithSAML) and C(sts:TagSession) for the SAML
    provider only, with a listed C(SAML:aud) and a non-empty run-as session tag (C(?*), since
    C(*) also matches an empty value), optionally ending in the AD UPN suffix, marked
    transitive (C(sts:TransitiveTagKeys)), and no tag keys besides it and
    O(_input.allowed_tag_keys).
  - The managed policy allows C(ssm:StartSession) only to callers carrying the run-as principal
    tag (with the suffix), and C(ssm:TerminateSession) and C(ssm:ResumeSession) only on
    sessions whose C(aws:ssmmessages:session-id) tag equals the caller's C(aws:userid).
options:
  _input:
    description: The federation data.
    type: dict
    required: true
    suboptions:
      state:
        description: V(present) or V(absent); metadata is only checked for V(present).
        type: str
        default: present
      account_id:
        description: The 12-digit AWS account id.
        type: str
        required: true
      partition:
        description: The AWS partition.
        type: str
        default: aws
      saml_provider_name:
        description: Name of the IAM SAML provider.
        type: str
        required: true
      saml_metadata:
        description: The IdP's SAML 2.0 metadata XML.
        type: str
      saml_metadata_source:
        description: The variable the metadata came from, for error messages.
        type: str
      tag_key:
        description: The run-as session tag key (no spaces; ADFS sends it in a claim type URI).
        type: str
        required: true
      upn_suffix:
        description: If set, run-as tag values must end with C(@upn_suffix).
        type: str
      saml_audiences:
        description: Accepted C(SAML:aud) sign-in endpoints.
        type: list
        elements: str
        required: true
      allowed_tag_keys:
        description: Session tag keys accepted besides the run-as key; none when not set.
        type: list
        elements: str
      policy_name:
        description: Name of the managed permissions policy.
        type: str
        required: true
      instance_tag:
        description: "If set (one C(key: value)), sessions start only on instances with this tag."
        type: dict
      session_preferences:
        description:
          - Options for the P(federated.ssm_runas.session_preferences#module) module; checked
            here so a bad value fails before any AWS call. Without C(run_as_default_user), the
            data model schema's default, a name that must resolve on no instance.
        type: dict
      roles:
        description: The federation roles.
        type: list
        elements: dict
        required: true
  var_prefix:
    description: Prefix put before each input's name in messages (a calling role's prefix).
    type: str
    default: ''
"""

EXAMPLES = r"""
- name: Federation documents are generated
  ansible.builtin.set_fact:
    plan: "{{ {'account_id': '123456789012', 'saml_provider_name': 'ADFS',
              'saml_metadata': lookup('file', 'md.xml'), 'tag_key': 'SSMSessionRunAs',
              'upn_suffix': 'example.test', 'saml_audiences': ['https://signin.aws.amazon.com/saml'],
              'policy_name': 'EC2SSMPermissions', 'roles': [{'name': 'ADFS-SSM-RunAs'}]}
              | federated.ssm_runas.aws_federation_plan(var_prefix='myrole_') }}"
"""

RETURN = r"""
_value:
  description: The validated plan.
  type: dict
  contains:
    saml_provider_arn:
      description: ARN of the SAML provider.
      type: str
    policy_arn:
      description: ARN of the managed permissions policy.
      type: str
    permissions_policy:
      description: The managed policy document.
      type: dict
    trust_policy:
      description: The trust policy shared by all roles.
      type: dict
    roles:
      description: Validated roles, each with C(trust_policy) and C(managed_policies).
      type: list
      elements: dict
    session_preferences:
      description: The preferences to apply, C(run_as_default_user) always set.
      type: dict
"""

from ansible.errors import AnsibleFilterError  # noqa: E402 - docs come first

# Imports of this collection's code are made when a filter is called, not here: for every
# task that uses any filter of a collection, Ansible imports every filter file of it, in each
# worker process, that is once per task and host (ansible.plugins.loader.Jinja2Loader). What
# this file imports at the top is paid by every host of every such task; see
# tests/unit/test_filter_imports.py.


def aws_federation_plan(spec, var_prefix=""):
    from ansible_collections.federated.ssm_runas.plugins.plugin_utils import iam_documents

    if not isinstance(spec, dict):
        raise AnsibleFilterError("aws_federation_plan expects a mapping, got %r" % (spec,))
    try:
        labels = dict((key, var_prefix + key) for key in spec)
        return iam_documents.federation_plan(spec, labels=labels)
    except iam_documents.FederationInputError as exc:
        raise AnsibleFilterError(str(exc)) from None


class FilterModule(object):
    def filters(self):
        return {"aws_federation_plan": aws_federation_plan}
