"""Parsing what realm, adcli, net, dpkg-query, rpm and os-release say (outputs seen on the lab
and on the platforms' images), and the platform settings that follow."""

from pathlib import Path

import pytest
import yaml
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

ADCLI_INFO = """[domain]
domain-name = example.test
domain-short = EXAMPLE
domain-controller = dc1.example.test
domain-controller-usable = yes
[computer]
computer-site = Default-First-Site-Name
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


OS_RELEASES = {
    "debian12": 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
    'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\nID=debian\n',
    "debian13": 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nVERSION_ID="13"\nID=debian\n',
    "debian-sid": 'PRETTY_NAME="Debian GNU/Linux trixie/sid"\nID=debian\n',
    "ubuntu2204": 'NAME="Ubuntu"\nVERSION_ID="22.04"\nID=ubuntu\nID_LIKE=debian\n',
    "ubuntu2404": 'NAME="Ubuntu"\nVERSION_ID="24.04"\nID=ubuntu\nID_LIKE=debian\n',
    "rhel8": 'NAME="Red Hat Enterprise Linux"\nVERSION_ID="8.10"\nID="rhel"\nID_LIKE="fedora"\n',
    "rhel9": 'NAME="Red Hat Enterprise Linux"\nVERSION_ID="9.4"\nID="rhel"\nID_LIKE="fedora"\n',
    "rocky8": 'NAME="Rocky Linux"\nVERSION_ID="8.9"\nID="rocky"\nID_LIKE="rhel centos fedora"\n',
    "rocky9": 'NAME="Rocky Linux"\nVERSION_ID="9.3"\nID="rocky"\nID_LIKE="rhel centos fedora"\n',
    "al2023": 'NAME="Amazon Linux"\nVERSION="2023"\nID="amzn"\nID_LIKE="fedora"\n'
    'VERSION_ID="2023"\n',
}

# The role's vars/platforms files, reduced to the keys that tell them apart.
PLATFORMS = {
    "Debian": {"packages": ["polkitd"], "package_manager": "apt", "sssd_conf_mode": "0600"},
    "Debian_13": {"sssd_conf_mode": "0640"},
    "Ubuntu": {"packages": ["polkitd"]},
    "Ubuntu_22": {"packages": ["policykit-1"]},
    "RedHat": {"packages": ["authselect"], "package_manager": "dnf", "sssd_conf_mode": "0600"},
    "Amazon": {"packages": ["authselect", "al2023"]},
}


@pytest.mark.parametrize(
    ("release", "facts", "names", "settings"),
    [
        (
            "debian12",
            ("Debian", "Debian", "12"),
            ["Debian"],
            {"packages": ["polkitd"], "package_manager": "apt", "sssd_conf_mode": "0600"},
        ),
        (
            "debian13",
            ("Debian", "Debian", "13"),
            ["Debian", "Debian_13"],
            {"packages": ["polkitd"], "package_manager": "apt", "sssd_conf_mode": "0640"},
        ),
        (
            "debian-sid",
            ("Debian", "Debian", ""),
            ["Debian"],
            {"packages": ["polkitd"], "package_manager": "apt", "sssd_conf_mode": "0600"},
        ),
        (
            "ubuntu2204",
            ("Debian", "Ubuntu", "22"),
            ["Debian", "Ubuntu", "Ubuntu_22"],
            {"packages": ["policykit-1"], "package_manager": "apt", "sssd_conf_mode": "0600"},
        ),
        (
            "ubuntu2404",
            ("Debian", "Ubuntu", "24"),
            ["Debian", "Ubuntu"],
            {"packages": ["polkitd"], "package_manager": "apt", "sssd_conf_mode": "0600"},
        ),
        (
            "rhel8",
            ("RedHat", "RedHat", "8"),
            ["RedHat"],
            {"packages": ["authselect"], "package_manager": "dnf", "sssd_conf_mode": "0600"},
        ),
        (
            "rhel9",
            ("RedHat", "RedHat", "9"),
            ["RedHat"],
            {"packages": ["authselect"], "package_manager": "dnf", "sssd_conf_mode": "0600"},
        ),
        (
            "rocky8",
            ("RedHat", "Rocky", "8"),
            ["RedHat"],
            {"packages": ["authselect"], "package_manager": "dnf", "sssd_conf_mode": "0600"},
        ),
        (
            "rocky9",
            ("RedHat", "Rocky", "9"),
            ["RedHat"],
            {"packages": ["authselect"], "package_manager": "dnf", "sssd_conf_mode": "0600"},
        ),
        (
            "al2023",
            ("RedHat", "Amazon", "2023"),
            ["RedHat", "Amazon"],
            {
                "packages": ["authselect", "al2023"],
                "package_manager": "dnf",
                "sssd_conf_mode": "0600",
            },
        ),
    ],
)
def test_os_release_picks_the_platform_files_in_order(release, facts, names, settings):
    platform = platform_of(parse_os_release(OS_RELEASES[release]))
    assert platform == dict(zip(PLATFORM_FACTS, facts, strict=True))
    assert merge_platform(PLATFORMS, platform) == (settings, names)


def test_gathered_facts_name_the_same_files():
    # What ansible.builtin.setup reports on Debian 13: the same merge as from os-release.
    facts = {"os_family": "Debian", "distribution": "Debian", "distribution_major_version": "13"}
    from_release = platform_of(parse_os_release(OS_RELEASES["debian13"]))
    assert merge_platform(PLATFORMS, facts) == merge_platform(PLATFORMS, from_release)


def test_later_files_replace_whole_keys():
    # Like include_vars: a list in Ubuntu_22 replaces Debian's, it is not appended to it.
    settings, _names = merge_platform(
        PLATFORMS,
        {"os_family": "Debian", "distribution": "Ubuntu", "distribution_major_version": "22"},
    )
    assert settings["packages"] == ["policykit-1"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            'NAME="Arch Linux"\nID=arch\n',
            "ID='arch' (Arch Linux) is not a distribution the role knows",
        ),
        ("", "ID='' (no /etc/os-release)"),
    ],
)
def test_unknown_distribution_is_an_error_naming_it_and_the_fix(text, message):
    with pytest.raises(PlatformError) as err:
        platform_of(parse_os_release(text))
    assert message in str(err.value)
    assert "gather_facts: true" in str(err.value)


def test_platform_without_settings_is_an_error_naming_the_files():
    facts = {"os_family": "Suse", "distribution": "SLES", "distribution_major_version": "15"}
    with pytest.raises(PlatformError) as err:
        merge_platform(PLATFORMS, facts)
    assert "Suse.yml, SLES.yml, SLES_15.yml" in str(err.value)
    assert "os_family=Suse" in str(err.value)


def test_os_release_quoting():
    parsed = parse_os_release(
        '# comment\nID=\'rhel\'\nNAME="Say \\"hi\\""\nVERSION_ID=9.4\n\nBROKEN LINE\n'
    )
    assert parsed == {"ID": "rhel", "NAME": 'Say "hi"', "VERSION_ID": "9.4"}


ROLE_PLATFORMS = Path(__file__).resolve().parents[2] / "roles" / "ad_join" / "vars" / "platforms"
# Every key the role reads from __ad_join_platform.
ROLE_KEYS = {
    "packages",
    "keytab_packages",
    "package_manager",
    "realmd_package_files",
    "mkhomedir_path",
    "mkhomedir_regexp",
    "mkhomedir_commands",
    "sssd_conf_mode",
}


@pytest.mark.parametrize("release", sorted(OS_RELEASES))
def test_role_platform_files_give_every_key_the_role_reads(release):
    platforms = {
        p.stem: yaml.safe_load(p.read_text())["__ad_join_platform_settings"]
        for p in ROLE_PLATFORMS.glob("*.yml")
    }
    settings, _names = merge_platform(
        platforms, platform_of(parse_os_release(OS_RELEASES[release]))
    )
    assert set(settings) == ROLE_KEYS
    assert settings["sssd_conf_mode"] == ("0640" if release == "debian13" else "0600")
