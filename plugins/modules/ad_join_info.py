#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ad_join_info
short_description: One cheap probe of a host's platform, realm membership and join prerequisites
version_added: 0.1.0
description:
  - Reports in one call the host's platform settings, which packages are missing, which realms
    the host is joined to (C(realm list --name-only)) and whether PAM home creation is enabled.
  - The platform settings are the entries of O(platforms) named after the host's os_family,
    distribution and C(<distribution>_<major version>), merged key by key in that order (those
    that exist). The platform comes from O(platform_facts) when the play gathered facts, else
    from C(/etc/os-release), so that no fact gathering is needed.
  - With O(preflight=true) also checks what a join needs and fails with a message that names
    the problem and the fix. A domain controller must be found through DNS SRV
    C(_ldap._tcp.<domain>) and CLDAP (C(adcli info)), and the clock must be within
    O(max_clock_skew) seconds of the DC's, read from its rootDSE (C(currentTime), an anonymous
    LDAP search on port 389, as C(net ads info) reads it; no Samba tools are needed).
  - Changes nothing.
author:
  - federated.ssm_runas maintainers (@federated)
options:
  realm:
    description: Kerberos realm the host should be joined to.
    type: str
    required: true
  domain:
    description: AD DNS domain (for O(preflight)).
    type: str
    default: ''
  platforms:
    description:
      - Platform settings by name (an os_family, a distribution or C(<distribution>_<major>)).
        Empty means no platform is looked at.
      - Keys the probe uses itself, all optional - C(packages) (checked like O(packages)),
        C(mkhomedir_path) (a file that shows whether PAM home creation is enabled) and
        C(mkhomedir_regexp) (matches a line of that file when it is).
    type: dict
    default: {}
  platform_facts:
    description:
      - C(os_family), C(distribution) and C(distribution_major_version) as gathered by
        M(ansible.builtin.setup). Used instead of C(/etc/os-release) when all three are given.
    type: dict
    default: {}
  packages:
    description: Packages whose installation state is reported, in addition to the platform's.
    type: list
    elements: str
    default: []
  package_sets:
    description:
      - Names of further package lists in the host's platform settings whose installation
        state is reported with the platform's C(packages), such as C(keytab_packages) (C(kinit)
        for a keytab join). A platform without such a list adds nothing.
    type: list
    elements: str
    default: []
  preflight:
    description: Check DNS SRV discovery of a DC and the clock skew against it.
    type: bool
    default: false
  max_clock_skew:
    description: Largest tolerated clock difference to the DC, in seconds (Kerberos allows 300).
    type: int
    default: 300
  var_prefix:
    description:
      - Prefix put before the option names (O(domain), O(max_clock_skew)) that error messages
        name, so that a role's messages name its own variables (the ad_join role passes
        C(ad_join_)). Empty, messages name this module's options.
    type: str
    default: ""
  mkhomedir:
    description: Whether PAM home creation is wanted, for RV(ready).
    type: bool
    default: true
    version_added: 0.2.0
  stop_unless_ready:
    description:
      - Return C(stop=true) when the host is not RV(ready), so that
        M(federated.ssm_runas.host_steps) runs no later step and the caller runs the join tasks.
    type: bool
    default: false
    version_added: 0.2.0
extends_documentation_fragment:
  - ansible.builtin.action_common_attributes
  - federated.ssm_runas.attributes.info
"""

EXAMPLES = r"""
- name: Realm membership and package state are known
  federated.ssm_runas.ad_join_info:
    realm: EXAMPLE.TEST
    packages: [realmd, sssd, adcli]
  register: ad_join_info

- name: Platform settings, packages and PAM home creation are known without gathering facts
  federated.ssm_runas.ad_join_info:
    realm: EXAMPLE.TEST
    platforms:
      Debian:
        packages: [realmd, sssd, adcli]
        mkhomedir_path: /etc/pam.d/common-session
        mkhomedir_regexp: '^session\s+\S+\s+pam_mkhomedir\.so'
      Debian_13:
        sssd_conf_mode: "0640"
      RedHat:
        packages: [realmd, sssd, adcli, oddjob-mkhomedir]
        mkhomedir_path: /etc/authselect/authselect.conf
        mkhomedir_regexp: '^with-mkhomedir$'
  register: ad_join_info
"""

RETURN = r"""
joined:
  description: Whether the host is joined to O(realm).
  returned: always
  type: bool
realms:
  description: Realms the host is joined to.
  returned: always
  type: list
  elements: str
missing_packages:
  description: Members of O(packages) that are not installed.
  returned: always
  type: list
  elements: str
mkhomedir_enabled:
  description:
    - Whether the platform's C(mkhomedir_regexp) matched in its C(mkhomedir_path) (null when the
      platform names none).
  returned: always
  type: bool
platform:
  description: The merged settings of the O(platforms) entries that match the host.
  returned: always
  type: dict
  sample: {"packages": [realmd, sssd], "package_manager": apt, "sssd_conf_mode": "0640"}
platform_names:
  description: Names of the O(platforms) entries merged, in order.
  returned: always
  type: list
  elements: str
  sample: [Debian, Debian_13]
platform_facts:
  description: The host's C(os_family), C(distribution) and C(distribution_major_version).
  returned: when O(platforms) is not empty
  type: dict
  sample: {"os_family": Debian, "distribution": Debian, "distribution_major_version": "13"}
ready:
  description:
    - The host is joined to O(realm), no package is missing and, with O(mkhomedir=true), PAM
      home creation is not known to be off - the join tasks have nothing to do.
  returned: always
  type: bool
  version_added: 0.2.0
stop:
  description: C(not ready), with O(stop_unless_ready=true).
  returned: when O(stop_unless_ready=true)
  type: bool
  version_added: 0.2.0
domain_controller:
  description: DC found by O(preflight).
  returned: when O(preflight=true)
  type: str
clock_offset:
  description: Seconds the DC's clock is ahead of the host's (O(preflight=true)).
  returned: when O(preflight=true)
  type: int
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_join_info_main import (  # noqa: E402
    ARGUMENT_SPEC,
    run,
)


def main():
    run(AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True))


if __name__ == "__main__":
    main()
