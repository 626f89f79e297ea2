#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ad_join_ini
short_description: Set keys in sections of sssd.conf or realmd.conf, keeping every other line
version_added: 0.1.0
description:
  - Sets (or, with a null value, removes) the given keys in the given sections of an INI file
    in one pass, leaving comments, other keys and other sections as they are, so that a
    site's own lines survive. Writes only when something differs, atomically, with the
    given mode.
  - One task for all keys instead of one C(community.general.ini_file) call per key.
author:
  - federated.ssm_runas maintainers (@federated)
options:
  path:
    description: The file.
    type: path
    required: true
  settings:
    description:
      - Mapping of section name to a mapping of key to value. Booleans are written
        C(True)/C(False), lists comma separated, C(null) removes the key.
    type: dict
    required: true
  create:
    description: Create the file when it does not exist.
    type: bool
    default: true
  mode:
    description: Mode of the file when written (SSSD refuses a group- or world-readable sssd.conf).
    type: raw
    default: '0600'
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - action_common_attributes.files
  - federated.ssm_runas.attributes
"""

EXAMPLES = r"""
- name: SSSD names and homes match what the SSM agent uses
  federated.ssm_runas.ad_join_ini:
    path: /etc/sssd/sssd.conf
    create: false
    settings:
      domain/example.test:
        use_fully_qualified_names: true
        override_homedir: /home/%u@%d
"""

RETURN = r"""
changes:
  description: One line per key that was (or would be) changed.
  returned: always
  type: list
  elements: str
  sample: ["[domain/example.test] override_homedir: (absent) -> '/home/%u@%d'"]
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402 - docs before imports
from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_join_ini import (  # noqa: E402
    IniError,
    ensure_ini,
)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            path=dict(type="path", required=True),
            settings=dict(type="dict", required=True),
            create=dict(type="bool", default=True),
            mode=dict(type="raw", default="0600"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        changed, changes, diff = ensure_ini(
            module, params["path"], params["settings"], params["mode"], params["create"]
        )
    except IniError as exc:
        module.fail_json(msg="ad_join_ini: %s: %s" % (params["path"], exc))
    result = dict(changed=changed, changes=changes)
    if diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
