# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ad_join_info module's main, as a step that federated.ssm_runas.host_steps can also run."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import os
import re

from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_join_probe import (
    PLATFORM_FACTS,
    PlatformError,
    adcli_dc,
    configured_realms,
    is_joined,
    merge_platform,
    missing_dpkg,
    missing_rpm,
    parse_os_release,
    platform_of,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_rootdse import (
    RootDseError,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_rootdse import (
    clock_offset as rootdse_offset,
)

ARGUMENT_SPEC = dict(
    realm=dict(type="str", required=True),
    domain=dict(type="str", default=""),
    platforms=dict(type="dict", default={}),
    platform_facts=dict(type="dict", default={}),
    packages=dict(type="list", elements="str", default=[]),
    package_sets=dict(type="list", elements="str", default=[]),
    preflight=dict(type="bool", default=False),
    max_clock_skew=dict(type="int", default=300),
    var_prefix=dict(type="str", default=""),
    stop_unless_ready=dict(type="bool", default=False),
    mkhomedir=dict(type="bool", default=True),
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
            msg="%sdomain %r: no domain controller found via DNS SRV _ldap._tcp.%s and CLDAP "
            "(adcli info: %s). Fix: point the host's resolver at the AD DNS servers, or set "
            "%sdomain to the AD DNS domain."
            % (prefix, domain, domain, (err or out).strip(), prefix),
            **result,
        )
    result["domain_controller"] = dc
    try:
        offset = round(rootdse_offset(dc))
    except RootDseError as exc:
        module.fail_json(
            msg="could not read the time of domain controller %s (LDAP rootDSE currentTime: %s). "
            "Fix: check that LDAP (389/tcp) to the DC is open." % (dc, exc),
            **result,
        )
    result["clock_offset"] = offset
    if abs(offset) > params["max_clock_skew"]:
        module.fail_json(
            msg="the host's clock differs from domain controller %s by %d s, more than "
            "%smax_clock_skew=%d s that Kerberos tolerates. Fix: synchronise time "
            "(chrony/systemd-timesyncd) with the DCs before joining."
            % (dc, offset, prefix, params["max_clock_skew"]),
            **result,
        )


def ready(result, mkhomedir):
    """Whether a joined host needs none of the join tasks: packages, join, PAM home creation."""
    return (
        result["joined"]
        and not result["missing_packages"]
        and (not mkhomedir or result["mkhomedir_enabled"] is not False)
    )


def run(module):
    """The probe; with stop_unless_ready, the result says stop when the join tasks have work."""
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
            module.fail_json(msg="ad_join_info: platforms: %s" % exc, **result)
    platform = result["platform"]
    packages = list(platform.get("packages") or [])
    for name in params["package_sets"]:  # a platform without that list needs none of it
        packages += [p for p in platform.get(name) or [] if p not in packages]
    packages += [p for p in params["packages"] if p not in packages]
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
    result["ready"] = bool(ready(result, params["mkhomedir"]))
    if params["stop_unless_ready"]:
        result["stop"] = not result["ready"]
    module.exit_json(**result)
