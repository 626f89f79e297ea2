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
    PLATFORM_FACTS,
    PlatformError,
    adcli_dc,
    clock_offset,
    configured_realms,
    is_joined,
    merge_platform,
    missing_dpkg,
    missing_rpm,
    parse_os_release,
    platform_of,
)

OS_RELEASE = ("/etc/os-release", "/usr/lib/os-release")


def host_platform(module):
    """The platform from gathered facts when complete, else from os-release (no setup call)."""
    facts = module.params["platform_facts"]
    if all(facts.get(key) not in (None, "") for key in PLATFORM_FACTS):
        return dict((key, str(facts[key])) for key in PLATFORM_FACTS)
    text = ""
    for path in OS_RELEASE:
        if os.path.exists(path):
            with open(path) as handle:
                text = handle.read()
            break
    return platform_of(parse_os_release(text))


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
            platforms=dict(type="dict", default={}),
            platform_facts=dict(type="dict", default={}),
            packages=dict(type="list", elements="str", default=[]),
            preflight=dict(type="bool", default=False),
            max_clock_skew=dict(type="int", default=300),
            var_prefix=dict(type="str", default="ad_join"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    result = dict(
        changed=False,
        realms=[],
        joined=False,
        mkhomedir_enabled=None,
        platform={},
        platform_names=[],
    )
    if params["platforms"]:
        try:
            result["platform_facts"] = host_platform(module)
            result["platform"], result["platform_names"] = merge_platform(
                params["platforms"], result["platform_facts"]
            )
        except PlatformError as exc:
            module.fail_json(msg="%s: %s" % (params["var_prefix"], exc), **result)
    platform = result["platform"]
    packages = list(platform.get("packages") or []) + params["packages"]
    result["missing_packages"] = package_state(module, packages)
    realm = module.get_bin_path("realm")
    if realm:
        rc, out, _err = module.run_command([realm, "list", "--name-only"])
        if rc == 0:
            result["realms"] = configured_realms(out)
    result["joined"] = is_joined(params["realm"], result["realms"])
    if platform.get("mkhomedir_path") and platform.get("mkhomedir_regexp"):
        enabled = False
        if os.path.exists(platform["mkhomedir_path"]):
            with open(platform["mkhomedir_path"]) as handle:
                enabled = re.search(platform["mkhomedir_regexp"], handle.read(), re.M) is not None
        result["mkhomedir_enabled"] = enabled
    if params["preflight"]:
        preflight(module, result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
