#!/usr/bin/python
# Copyright: (c) 2026, federated.ssm_runas maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

# This is a documentation stub: the module is adfs_rule_set.ps1 and runs on Windows.

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: adfs_rule_set
short_description: Read or write an AD FS relying party trust's issuance transform rules
version_added: 0.1.0
description:
  - Reads the whole C(IssuanceTransformRules) string of one AD FS relying party trust.
  - Given O(rules), writes that whole string back in one C(Set-AdfsRelyingPartyTrust) call,
    but only if the current string still equals O(expected_rules) (compare-and-swap), so a
    change made by someone else after the read is never overwritten.
  - This is the Windows half of M(federated.ssm_runas.adfs_claim_rules), which decides what
    to write on the controller. Use that action instead of calling this module directly.
options:
  relying_party:
    description:
      - Name of the relying party trust.
    type: str
    required: true
  rules:
    description:
      - The complete new rule set. Omit to only read.
    type: str
  expected_rules:
    description:
      - The rule set the caller read. Required with O(rules); the write is refused if the
        trust's rules differ from it.
    type: str
  backup_dir:
    description:
      - Directory on the AD FS server where the previous rule set is saved before a write.
    type: path
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
  platform:
    platforms: windows
notes:
  - Needs the ADFS PowerShell module and AD FS administrator rights on the target.
seealso:
  - module: federated.ssm_runas.adfs_claim_rules
author:
  - federated.ssm_runas maintainers (@federated)
"""

EXAMPLES = r"""
- name: The AWS relying party's rule set is read
  federated.ssm_runas.adfs_rule_set:
    relying_party: Amazon Web Services
  register: adfs_rule_set_current
"""

RETURN = r"""
exists:
  description: Whether the relying party trust exists.
  returned: always
  type: bool
  sample: true
rules:
  description: The rule set after the module ran (null when the trust does not exist).
  returned: always
  type: str
  sample: "@RuleTemplate = \"LdapClaims\"\r\n@RuleName = \"SSMSessionRunAs\"\r\n..."
backup_file:
  description: Where the previous rule set was saved on the AD FS server.
  returned: always
  type: str
  sample: C:\adfs-backups\IssuanceTransformRules-20260101T000000000Z.txt
"""
