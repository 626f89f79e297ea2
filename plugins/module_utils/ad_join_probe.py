# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parse what realm, adcli, the package managers and /etc/os-release say, and pick the
platform settings that apply to a host; pure functions."""

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


# os-release ID -> (Ansible's distribution fact, its os_family), so that the vars files keep
# the names Ansible's distribution facts give them.
DISTRIBUTIONS = {
    "debian": ("Debian", "Debian"),
    "ubuntu": ("Ubuntu", "Debian"),
    "rhel": ("RedHat", "RedHat"),
    "centos": ("CentOS", "RedHat"),
    "rocky": ("Rocky", "RedHat"),
    "almalinux": ("AlmaLinux", "RedHat"),
    "ol": ("OracleLinux", "RedHat"),
    "fedora": ("Fedora", "RedHat"),
    "amzn": ("Amazon", "RedHat"),
}
PLATFORM_FACTS = ("os_family", "distribution", "distribution_major_version")


class PlatformError(ValueError):
    """A host whose platform the role has no settings for; the message names it and the fix."""


def parse_os_release(text):
    """{KEY: value} of an os-release(5) file: shell-style assignments, quotes removed."""
    values = {}
    for line in text.splitlines():
        match = re.match(r"^\s*([A-Z][A-Z0-9_]*)=(.*?)\s*$", line)
        if not match:
            continue
        value = match.group(2)
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
            if match.group(2)[0] == '"':
                value = re.sub(r"\\([\\$`\"])", r"\1", value)
        values[match.group(1)] = value
    return values


def platform_of(os_release):
    """os_family, distribution and distribution_major_version as Ansible's facts name them."""
    ident = os_release.get("ID", "").lower()
    if ident not in DISTRIBUTIONS:
        name = os_release.get("PRETTY_NAME") or os_release.get("NAME") or "no /etc/os-release"
        raise PlatformError(
            "/etc/os-release ID=%r (%s) is not a distribution the role knows (%s). Fix: "
            "gather facts first (gather_facts: true) so that Ansible names the platform, and "
            "add a platforms entry for its os_family or distribution if that is not Debian or "
            "RedHat (the ad_join role reads them from its vars/platforms/<name>.yml)."
            % (ident, name, ", ".join(sorted(DISTRIBUTIONS)))
        )
    distribution, os_family = DISTRIBUTIONS[ident]
    return {
        "os_family": os_family,
        "distribution": distribution,
        "distribution_major_version": os_release.get("VERSION_ID", "").split(".")[0],
    }


def platform_names(platform):
    """Vars file names in the order they apply: os_family, distribution, distribution_major."""
    names = [platform["os_family"], platform["distribution"]]
    if platform.get("distribution_major_version"):
        names.append("%s_%s" % (platform["distribution"], platform["distribution_major_version"]))
    return [n for i, n in enumerate(names) if n not in names[:i]]


def merge_platform(platforms, platform):
    """(settings, names): the entries of platforms that match, merged key by key in order."""
    candidates = platform_names(platform)
    names = [n for n in candidates if n in platforms]
    if not names:
        raise PlatformError(
            "no platform settings for os_family=%s distribution=%s major version=%s (looked for "
            "%s in platforms, which has %s). Fix: use a supported platform or add one of those "
            "entries (the ad_join role reads them from its vars/platforms/<name>.yml)."
            % (
                platform["os_family"],
                platform["distribution"],
                platform.get("distribution_major_version") or "?",
                ", ".join("%s.yml" % n for n in candidates),
                ", ".join(sorted(platforms)) or "nothing",
            )
        )
    settings = {}
    for name in names:
        settings.update(platforms[name])
    return settings, names
