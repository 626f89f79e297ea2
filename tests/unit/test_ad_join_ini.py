"""sssd.conf/realmd.conf edits: only the keys asked for change, everything else survives."""

import configparser
import stat

import pytest
from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.testing import patch_module_args
from ansible_collections.federated.ssm_runas.plugins.module_utils.ad_join_ini import (
    IniError,
    apply_settings,
    ensure_ini,
    render_value,
)


def get_value(text, section, key):
    """What Python's own INI reader sees, as an independent check of the edit."""
    parser = configparser.ConfigParser(interpolation=None)
    parser.read_string(text)
    return parser.get(section, key, fallback=None)


REALMD_SSSD = """
[sssd]
domains = example.test
config_file_version = 2
services = nss, pam

[domain/example.test]
default_shell = /bin/bash
# site comment
fallback_homedir = /home/%u@%d
use_fully_qualified_names = True
access_provider = ad
"""

DOMAIN = "domain/example.test"


@pytest.mark.parametrize(
    ("settings", "key", "expected", "n_changes"),
    [
        ({DOMAIN: {"override_homedir": "/home/%u@%d"}}, "override_homedir", "/home/%u@%d", 1),
        ({DOMAIN: {"use_fully_qualified_names": True}}, "use_fully_qualified_names", "True", 0),
        ({DOMAIN: {"use_fully_qualified_names": False}}, "use_fully_qualified_names", "False", 1),
        ({DOMAIN: {"fallback_homedir": "/home/%u"}}, "fallback_homedir", "/home/%u", 1),
        ({DOMAIN: {"access_provider": None}}, "access_provider", None, 1),
        ({DOMAIN: {"not_there": None}}, "not_there", None, 0),
    ],
)
def test_keys_are_set_in_place(settings, key, expected, n_changes):
    after, changes = apply_settings(REALMD_SSSD, settings)
    assert get_value(after, DOMAIN, key) == expected
    assert len(changes) == n_changes
    assert "# site comment" in after
    assert get_value(after, "sssd", "services") == "nss, pam"
    assert get_value(after, DOMAIN, "default_shell") == "/bin/bash"


def test_unchanged_settings_give_identical_text():
    text, _changes = apply_settings(REALMD_SSSD, {DOMAIN: {"override_homedir": "/home/%u@%d"}})
    again, changes = apply_settings(text, {DOMAIN: {"override_homedir": "/home/%u@%d"}})
    assert again == text
    assert changes == []


def test_new_key_goes_to_the_end_of_its_section_not_the_file():
    text = "[a]\nx = 1\n\n[b]\ny = 2\n"
    after, _changes = apply_settings(text, {"a": {"z": "3"}})
    assert after == "[a]\nx = 1\nz = 3\n\n[b]\ny = 2\n"


def test_missing_section_is_appended():
    after, changes = apply_settings("[a]\nx = 1\n", {"service": {"automatic-install": "no"}})
    assert after == "[a]\nx = 1\n\n[service]\nautomatic-install = no\n"
    assert changes == ["[service] automatic-install: (absent) -> 'no'"]


def test_empty_file_gets_the_section():
    after, _changes = apply_settings("", {"service": {"automatic-install": "no"}})
    assert after == "[service]\nautomatic-install = no\n"


def test_duplicate_keys_collapse_to_the_first():
    after, changes = apply_settings("[a]\nx = 1\nx = 2\n", {"a": {"x": "3"}})
    assert after == "[a]\nx = 3\n"
    assert len(changes) == 1


def test_same_key_in_other_section_is_untouched():
    after, _changes = apply_settings("[a]\nx = 1\n[b]\nx = 1\n", {"b": {"x": "2"}})
    assert get_value(after, "a", "x") == "1"
    assert get_value(after, "b", "x") == "2"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"a": {"k": "v\nother = x"}}, "may not contain a newline"),
        ({"a]\n[b": {"k": "v"}}, "section name"),
        ({"a": {"bad key": "v"}}, "key 'bad key'"),
        ({"a": {"k=v": "v"}}, "key 'k=v'"),
        ({"a": "not a mapping"}, "must be a mapping"),
        ({"": {"k": "v"}}, "section name"),
    ],
)
def test_unsafe_settings_are_refused(settings, message):
    with pytest.raises(IniError, match=message.replace("[", r"\[")):
        apply_settings("", settings)


@pytest.mark.parametrize(
    ("value", "text"), [(True, "True"), (False, "False"), (["nss", "pam"], "nss, pam"), (3, "3")]
)
def test_values_render_the_sssd_way(value, text):
    assert render_value(value) == text


def module(check_mode=False):
    """A real AnsibleModule, for its check mode, atomic_move and file attributes."""
    with patch_module_args({"_ansible_check_mode": check_mode}):
        return AnsibleModule(argument_spec={}, supports_check_mode=True)


SSSD_SETTINGS = {DOMAIN: {"override_homedir": "/home/%u@%d"}}


def test_ensure_ini_writes_once_then_reports_no_change(tmp_path):
    conf = tmp_path / "sssd.conf"
    conf.write_text(REALMD_SSSD)
    conf.chmod(0o600)
    changed, changes, diff = ensure_ini(module(), str(conf), SSSD_SETTINGS, "0600")
    assert changed
    assert changes == ["[domain/example.test] override_homedir: (absent) -> '/home/%u@%d'"]
    assert diff["before"] == REALMD_SSSD
    assert diff["after"] == conf.read_text()
    assert diff["before_header"] == str(conf)
    assert ensure_ini(module(), str(conf), SSSD_SETTINGS, "0600") == (False, [], None)


def test_ensure_ini_mode_alone_is_a_change(tmp_path):
    conf = tmp_path / "sssd.conf"
    conf.write_text(apply_settings(REALMD_SSSD, SSSD_SETTINGS)[0])
    conf.chmod(0o644)
    assert ensure_ini(module(), str(conf), SSSD_SETTINGS, "0600") == (True, [], None)
    assert stat.S_IMODE(conf.stat().st_mode) == 0o600


def test_ensure_ini_check_mode_predicts_without_writing(tmp_path):
    conf = tmp_path / "sssd.conf"
    conf.write_text(REALMD_SSSD)
    conf.chmod(0o640)
    changed, changes, _diff = ensure_ini(module(check_mode=True), str(conf), SSSD_SETTINGS, "0600")
    assert changed
    assert len(changes) == 1
    assert conf.read_text() == REALMD_SSSD
    assert stat.S_IMODE(conf.stat().st_mode) == 0o640


def test_ensure_ini_check_mode_on_a_missing_file_creates_nothing(tmp_path):
    conf = tmp_path / "sssd.conf"
    changed, _changes, diff = ensure_ini(module(check_mode=True), str(conf), SSSD_SETTINGS, "0600")
    assert changed
    assert diff["before"] == ""
    assert not conf.exists()


def test_ensure_ini_refuses_a_missing_file_without_create(tmp_path):
    with pytest.raises(IniError, match="does not exist"):
        ensure_ini(module(), str(tmp_path / "x.conf"), SSSD_SETTINGS, "0600", create=False)


def test_ensure_ini_creates_a_missing_file_with_the_mode_and_no_temp_left(tmp_path):
    conf = tmp_path / "sssd.conf"
    changed, _changes, diff = ensure_ini(module(), str(conf), SSSD_SETTINGS, "0640")
    assert changed
    assert conf.read_text() == diff["after"]
    assert stat.S_IMODE(conf.stat().st_mode) == 0o640
    assert [p.name for p in tmp_path.iterdir()] == ["sssd.conf"]
