#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import absolute_import, division, print_function

__metaclass__ = type

DOCUMENTATION = r"""
---
module: ad_join_info
short_description: One cheap probe of a host's realm membership, and the join prerequisites
version_added: 0.1.0
description:
  - Reports in one call which of O(packages) are missing, which realms the host is joined to
    (C(realm list --name-only)) and whether PAM home creation is enabled.
  - With O(preflight=true) also checks what a join needs and fails with a message that names
    the problem and the fix. A domain controller must be found through DNS SRV
    C(_ldap._tcp.<domain>) and CLDAP (C(adcli info)), and the clock must be within
    O(max_clock_skew) seconds of the DC's (C(net ads info), an anonymous LDAP rootDSE read).
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
  packages:
    description: Packages whose installation state is reported.
    type: list
    elements: str
    default: []
  mkhomedir_path:
    description: File that shows whether PAM home creation is enabled.
    type: path
  mkhomedir_regexp:
    description: Regular expression that matches a line of O(mkhomedir_path) when it is.
    type: str
  preflight:
    description: Check DNS SRV discovery of a DC and the clock skew against it.
    type: bool
    default: false
  max_clock_skew:
    description: Largest tolerated clock difference to the DC, in seconds (Kerberos allows 300).
    type: int
    default: 300
  var_prefix:
    description: Prefix of the role variables named in error messages.
    type: str
    default: ad_join
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying
      target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in
      check_mode), when in diff mode.
    support: none
"""

EXAMPLES = r"""
- name: Realm membership and package state are known
  federated.ssm_runas.ad_join_info:
    realm: EXAMPLE.TEST
    packages: [realmd, sssd, adcli]
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
  description: Whether O(mkhomedir_regexp) matched in O(mkhomedir_path) (null when not asked).
  returned: always
  type: bool
domain_controller:
  description: DC found by O(preflight).
  returned: when O(preflight=true)
  type: str
clock_offset:
  description: Seconds the DC's clock is ahead of the host's (O(preflight=true)).
  returned: when O(preflight=true) and C(net) is installed
  type: int
"""

import os  # noqa: E402 - ansible-test wants the docs before imports
import re  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_join_probe import (  # noqa: E402
    adcli_dc,
    clock_offset,
    configured_realms,
    is_joined,
    missing_dpkg,
    missing_rpm,
)


def package_state(module, packages):
    if not packages:
        return []
    dpkg = module.get_bin_path("dpkg-query")
    if dpkg:
        _rc, out, _err = module.run_command(
            [dpkg, "-W", "-f", "${Package} ${db:Status-Status}\\n", *packages]
        )
        return missing_dpkg(out, packages)
    rpm = module.get_bin_path("rpm")
    if rpm:
        _rc, out, _err = module.run_command([rpm, "-q", *packages])
        return missing_rpm(out, packages)
    module.fail_json(msg="ad_join_info: neither dpkg-query nor rpm found on the host")


def preflight(module, result):
    params = module.params
    prefix = params["var_prefix"]
    domain = params["domain"]
    adcli = module.get_bin_path("adcli")
    if not adcli:
        if module.check_mode:
            module.warn("preflight skipped: adcli is not installed yet (check mode)")
            return
        module.fail_json(msg="ad_join_info: adcli is not installed: install it first", **result)
    rc, out, err = module.run_command([adcli, "info", domain])
    dc = adcli_dc(out)
    if rc != 0 or not dc:
        module.fail_json(
            msg="%s_domain %r: no domain controller found via DNS SRV _ldap._tcp.%s and CLDAP "
            "(adcli info: %s). Fix: point the host's resolver at the AD DNS servers, or set "
            "%s_domain to the AD DNS domain."
            % (prefix, domain, domain, (err or out).strip(), prefix),
            **result,
        )
    result["domain_controller"] = dc
    net = module.get_bin_path("net")
    if not net:
        module.warn(
            "clock skew not checked: 'net' (samba-common-bin / samba-common-tools) is not installed"
        )
        return
    rc, out, err = module.run_command([net, "ads", "info", "-S", dc])
    offset = clock_offset(out)
    if offset is None:
        module.fail_json(
            msg="could not read the time of domain controller %s (net ads info rc=%s: %s). "
            "Fix: check that LDAP (389/tcp) to the DC is open." % (dc, rc, (err or out).strip()),
            **result,
        )
    result["clock_offset"] = offset
    if abs(offset) > params["max_clock_skew"]:
        module.fail_json(
            msg="the host's clock differs from domain controller %s by %d s, more than "
            "%s_max_clock_skew=%d s that Kerberos tolerates. Fix: synchronise time "
            "(chrony/systemd-timesyncd) with the DCs before joining."
            % (dc, offset, prefix, params["max_clock_skew"]),
            **result,
        )


def main():
    module = AnsibleModule(
        argument_spec=dict(
            realm=dict(type="str", required=True),
            domain=dict(type="str", default=""),
            packages=dict(type="list", elements="str", default=[]),
            mkhomedir_path=dict(type="path"),
            mkhomedir_regexp=dict(type="str"),
            preflight=dict(type="bool", default=False),
            max_clock_skew=dict(type="int", default=300),
            var_prefix=dict(type="str", default="ad_join"),
        ),
        required_together=[["mkhomedir_path", "mkhomedir_regexp"]],
        supports_check_mode=True,
    )
    params = module.params
    result = dict(changed=False, realms=[], joined=False, mkhomedir_enabled=None)
    result["missing_packages"] = package_state(module, params["packages"])
    realm = module.get_bin_path("realm")
    if realm:
        rc, out, _err = module.run_command([realm, "list", "--name-only"])
        if rc == 0:
            result["realms"] = configured_realms(out)
    result["joined"] = is_joined(params["realm"], result["realms"])
    if params["mkhomedir_path"]:
        enabled = False
        if os.path.exists(params["mkhomedir_path"]):
            with open(params["mkhomedir_path"]) as handle:
                enabled = re.search(params["mkhomedir_regexp"], handle.read(), re.M) is not None
        result["mkhomedir_enabled"] = enabled
    if params["preflight"]:
        preflight(module, result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
