#!/usr/bin/python
# Copyright: (c) 2026, federated.ssm_runas maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This is a documentation stub: the work happens in the action plugin of the same name.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: adfs_claim_rules
short_description: Manage named AD FS claim rules without touching the others
version_added: 0.1.0
description:
  - Ensures the Session Manager run-as rules, and optionally AWS's standard rules, on an AD FS
    relying party trust, matched by their C(@RuleName) in any letter case; every other rule
    keeps its exact text and position.
  - The run-as rule sends an LDAP attribute as the claim
    C(https://aws.amazon.com/SAML/Attributes/PrincipalTag:<tag_key>).
  - A second rule, C(<rule_name>-Transitive), issues
    C(https://aws.amazon.com/SAML/Attributes/TransitiveTagKeys) with the value O(tag_key), so
    the run-as tag passes unchanged to every later session of a role chain. It issues only
    when the run-as claim was issued (the user has the attribute) and is kept right after the
    run-as rule, which AD FS must evaluate first.
  - All decisions are made on the controller. In O(mode=winrm) the task's connection (WinRM or
    PSRP) runs M(federated.ssm_runas.adfs_rule_set) once to read and, only when something
    changes, once more to write the whole rule set in one call. Before a write the previous
    set is saved under O(backup_dir) on the controller (and O(remote_backup_dir) on the
    server, if set).
  - In O(mode=export) nothing connects anywhere; a reviewed, idempotent PowerShell change
    script and the exact rule text are written to O(export_dir) on the controller.
options:
  state:
    description:
      - V(present) adds or updates the managed rules; V(absent) removes only the run-as rule
        and its C(-Transitive) rule (standard rules are left as they are).
    type: str
    choices: [present, absent]
    default: present
  mode:
    description:
      - V(winrm) changes AD FS over the task's connection; V(export) writes artifacts only.
    type: str
    choices: [winrm, export]
    default: winrm
  relying_party:
    description:
      - Name of the AWS relying party trust.
    type: str
    default: Amazon Web Services
  rule_name:
    description:
      - C(@RuleName) of the run-as rule. No quotes, backslashes or control characters. An
        existing rule whose name differs only in letter case is this rule.
      - The transitive rule is named after it, C(<rule_name>-Transitive).
    type: str
    default: SSMSessionRunAs
  tag_key:
    description:
      - Session tag key; the claim type is C(https://aws.amazon.com/SAML/Attributes/PrincipalTag:)
        followed by it. Letters, digits and C(_.:/=+-@) only, at most 128 characters.
    type: str
    default: SSMSessionRunAs
  ldap_attribute:
    description:
      - LDAP display name of the attribute sent as the tag value.
    type: str
    choices: [userPrincipalName, sAMAccountName, mail]
    default: userPrincipalName
  standard_rules:
    description:
      - AWS's standard rules to manage by name as well, from V(NameId), V(RoleSessionName),
        V(Get AD Groups) and V(Roles). Missing ones are inserted in AWS's evaluation order.
    type: list
    elements: str
    default: []
  saml_provider_name:
    description:
      - IAM SAML provider name used by the V(Roles) rule.
    type: str
    default: ADFS
  group_prefix:
    description:
      - AD group prefix the V(Roles) rule maps; C(<prefix><account id>-<role>) becomes the
        role C(<role_prefix><role>) in that account.
    type: str
    default: AWS-
  role_prefix:
    description:
      - IAM role name prefix used by the V(Roles) rule.
    type: str
    default: ''
  role_session_attribute:
    description:
      - LDAP attribute the V(RoleSessionName) rule sends.
    type: str
    choices: [userPrincipalName, sAMAccountName, mail]
    default: mail
  create_trust:
    description:
      - Create the relying party trust from O(trust_metadata_url) with
        M(microsoft.ad.fs_trust) when it does not exist (the export script does the same).
    type: bool
    default: false
  trust_metadata_url:
    description:
      - Federation metadata URL used when creating the trust.
    type: str
    default: https://signin.aws.amazon.com/static/saml-metadata.xml
  backup_dir:
    description:
      - Controller directory for the previous rule set, saved before every write
        (C(<backup_dir>/<inventory_hostname>/<relying party>-<UTC time>.txt)).
      - Required with O(mode=winrm). Never inside an installed collection.
    type: path
  remote_backup_dir:
    description:
      - Directory on the AD FS server where the previous rule set is also saved.
    type: str
  export_dir:
    description:
      - Controller directory for the export artifacts. Required with O(mode=export). Never
        inside an installed collection.
    type: path
  var_prefix:
    description:
      - Prefix put before option names in error messages, so a role reports its own variable
        names (the P(federated.ssm_runas.adfs_claims#role) role passes its own prefix).
    type: str
    default: ''
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - ansible.builtin.action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  diff_mode:
    support: full
    details: Shows the whole rule set before and after (winrm) or the artifacts (export).
  platform:
    platforms: windows
notes:
  - Bad input is rejected before any connection is made.
  - Rules are compared by tokens, so AD FS re-flowing whitespace does not count as a change.
  - Several rules with our name are collapsed into one, in the place of the first.
  - Rule names compare without regard to letter case (as AD FS administrators address rules
    in the AD FS snap-in and PowerShell); a rule named ours in another case is updated in
    place and takes our spelling.
  - A byte-order mark in front of the rule set is kept and does not hide the first rule.
seealso:
  - module: federated.ssm_runas.adfs_rule_set
  - module: microsoft.ad.fs_claim_rule
  - module: microsoft.ad.fs_trust
author:
  - federated.ssm_runas maintainers (@federated)
"""

EXAMPLES = r"""
- name: The run-as rules send the user's UPN as SSMSessionRunAs, marked transitive
  federated.ssm_runas.adfs_claim_rules:
    relying_party: Amazon Web Services
    ldap_attribute: userPrincipalName
    backup_dir: "{{ lookup('federated.ssm_runas.output_dir', 'adfs/backups') }}"

- name: The change script for the AD FS team is written
  federated.ssm_runas.adfs_claim_rules:
    mode: export
    export_dir: /srv/adfs-handover
    standard_rules: [NameId, RoleSessionName, Get AD Groups, Roles]
  delegate_to: localhost
"""

RETURN = r"""
mode:
  description: The mode the task ran in.
  returned: always
  type: str
  sample: winrm
relying_party:
  description: The relying party trust name.
  returned: always
  type: str
  sample: Amazon Web Services
rules:
  description: The managed rules as rendered (name and text).
  returned: always
  type: list
  elements: dict
  sample: [{"name": "SSMSessionRunAs", "text": "@RuleTemplate = \"LdapClaims\"\r\n..."}]
absent:
  description: Rule names removed (state absent).
  returned: always
  type: list
  elements: str
  sample: ["SSMSessionRunAs", "SSMSessionRunAs-Transitive"]
actions:
  description: What happened to each managed rule (added, updated, unchanged, removed, absent).
  returned: mode is winrm
  type: list
  elements: dict
  sample: [{"name": "SSMSessionRunAs", "action": "added"},
           {"name": "SSMSessionRunAs-Transitive", "action": "added"}]
trust_created:
  description: Whether the relying party trust was (or in check mode would be) created.
  returned: mode is winrm
  type: bool
  sample: false
backup_file:
  description: Controller path of the previous rule set, when one was written.
  returned: mode is winrm
  type: str
  sample: /home/ops/ssm-runas-output/prod/adfs/backups/adfs1/amazon-web-services-20260101T0000Z.txt
previous_rules:
  description:
    - The rule set as it was before the write, the content of RV(backup_file), so the job's own
      record (an AWX job's events) keeps it too. Null when nothing was written.
  returned: mode is winrm
  type: str
remote_backup_file:
  description: Path of the previous rule set on the AD FS server, when asked for.
  returned: mode is winrm
  type: str
  sample: C:\adfs-backups\IssuanceTransformRules-20260101T000000000Z.txt
artifacts:
  description: Controller paths of the change script and the rule text.
  returned: mode is export
  type: list
  elements: str
  sample: [/home/ops/ssm-runas-output/prod/adfs/adfs-claims-amazon-web-services.ps1]
"""
