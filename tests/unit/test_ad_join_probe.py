"""Parsing what realm, adcli, net, dpkg-query and rpm print (outputs seen on the lab)."""

import pytest
from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_join_probe import (
    adcli_dc,
    clock_offset,
    configured_realms,
    is_joined,
    missing_dpkg,
    missing_rpm,
)

ADCLI_INFO = """[domain]
domain-name = example.test
domain-short = EXAMPLE
domain-controller = dc1.example.test
domain-controller-usable = yes
[computer]
computer-site = Default-First-Site-Name
"""

NET_ADS_INFO = """LDAP server: 10.89.224.10
Realm: EXAMPLE.TEST
Server time: Mon, 23 Nov 2026 21:24:42 UTC
KDC server: 10.89.224.10
Server time offset: {}
"""


def test_realms_and_join_state():
    realms = configured_realms("example.test\n\n")
    assert realms == ["example.test"]
    assert is_joined("EXAMPLE.TEST", realms)
    assert not is_joined("OTHER.TEST", realms)
    assert not is_joined("EXAMPLE.TEST", configured_realms(""))


def test_dpkg_missing_counts_removed_and_unknown_packages():
    out = "realmd installed\nsssd config-files\nadcli:amd64 installed\n"
    assert missing_dpkg(out, ["realmd", "sssd", "adcli", "polkitd"]) == ["sssd", "polkitd"]


def test_rpm_missing():
    out = "realmd-0.17.1-2.el9.x86_64\npackage adcli is not installed\n"
    assert missing_rpm(out, ["realmd", "adcli"]) == ["adcli"]


def test_adcli_dc():
    assert adcli_dc(ADCLI_INFO) == "dc1.example.test"
    assert adcli_dc("") is None


@pytest.mark.parametrize(("raw", "offset"), [("0", 0), ("-412", -412), ("17", 17)])
def test_clock_offset(raw, offset):
    assert clock_offset(NET_ADS_INFO.format(raw)) == offset


def test_clock_offset_missing():
    assert clock_offset("Realm: EXAMPLE.TEST\n") is None
