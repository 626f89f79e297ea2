# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse what realm, adcli, net and the package managers print; pure functions."""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import re


def configured_realms(realm_list_output):
    """Names of the realms `realm list --name-only` prints (configured ones only)."""
    return [line.strip() for line in realm_list_output.splitlines() if line.strip()]


def is_joined(realm, realms):
    return realm.lower() in (r.lower() for r in realms)


def missing_dpkg(status_output, packages):
    """Packages not 'installed' in `dpkg-query -W -f '${Package} ${db:Status-Status}\\n'`."""
    installed = set()
    for line in status_output.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1] == "installed":
            installed.add(parts[0].split(":")[0])
    return [p for p in packages if p not in installed]


def missing_rpm(rpm_output, packages):
    """Packages `rpm -q` reports as 'package X is not installed'."""
    missing = set(re.findall(r"^package (\S+) is not installed", rpm_output, re.M))
    return [p for p in packages if p in missing]


def adcli_dc(adcli_info_output):
    """The domain controller `adcli info` found (via DNS SRV and CLDAP), or None."""
    match = re.search(r"^domain-controller\s*=\s*(\S+)", adcli_info_output, re.M)
    return match.group(1) if match else None


def clock_offset(net_ads_info_output):
    """Seconds the DC's clock is ahead of ours from `net ads info`, or None."""
    match = re.search(r"^Server time offset:\s*(-?\d+)", net_ads_info_output, re.M)
    return int(match.group(1)) if match else None
