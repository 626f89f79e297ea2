"""sudo or sudo-rs: which one a host runs, and what the rules may hold where sudo-rs reads them.

The inputs come from outside the code: `sudo -V` as sudo 1.9 and sudo-rs 0.2.5 print it, and
the names and arguments sudo-rs 0.2.5 (Debian 13) was seen to cut, reject or accept.
"""

import json
import os
import subprocess

import pytest
from ansible.module_utils.common import warnings as ansible_warnings
from ansible_collections.federated.ssm_runas.plugins.module_utils import sudoers as s
from ansible_collections.federated.ssm_runas.plugins.module_utils import (
    sudoers_file_main,
    sudoers_host,
)
from ansible_collections.federated.ssm_runas.plugins.module_utils import sudoers_sudo_rs as rs
from sudoers_env import ROLE, spec
from test_sudoers_visudo import VISUDO, needs_root, needs_visudo, run_module

WHERE = "sudo-rs 0.2.5 (the sudo on this host)"


# ------------------------------------------------------------------------------ which sudo
@pytest.mark.parametrize(
    ("said", "expected"),
    [
        ("Sudo version 1.9.13p3\nConfigure options: --build=x86_64\n", ("sudo", "1.9.13p3")),
        ("Sudo version 1.9.16p2\n", ("sudo", "1.9.16p2")),
        ("\nsudo-rs 0.2.5", ("sudo-rs", "0.2.5")),  # sudo-rs: on stderr, no newline
        ("sudo-rs 0.2.8\n", ("sudo-rs", "0.2.8")),
        ("visudo version 0.2.5\n", None),  # visudo says the same for sudo and sudo-rs
        ("sudo: unknown option -V\n", None),
        ("", None),
    ],
)
def test_identify_reads_sudo_and_sudo_rs_versions(said, expected):
    assert rs.identify(said) == expected


# ------------------------------------------------------------------------------ refusals
def problems(rules, aliases=None, fq=True, labels=ROLE):
    return rs.sudo_rs_problems(spec(rules, aliases, fq=fq), WHERE, labels)


def test_fully_qualified_group_is_refused_with_what_sudo_rs_would_do():
    got = problems([{"group": "NetworkAdmins", "nopasswd": True, "commands": ["ALL"]}])
    assert got == [
        'ad_sudoers_rules[0].group "NetworkAdmins" is written %NetworkAdmins@example.test, '
        "which sudo-rs 0.2.5 (the sudo on this host) cannot read: its names take only letters, "
        "digits, '.', '-' and '_', not \"@\" (quoted, it reads \"%NetworkAdmins\" and gives the "
        "rule to that name); use sudo instead of sudo-rs on this host, or "
        "ad_sudoers_fully_qualified: false where SSSD gives short names"
    ]


@pytest.mark.parametrize(
    ("group", "cut"),
    [
        ("Help Desk", "%Help"),  # quoted, sudo-rs 0.2.5 matched local group "help" for "help desk"
        ("O'Brien", "%O"),
        ("Ops&Co", "%Ops"),
        ("Grüne", "%Gr"),
        ("Dollar$", "%Dollar"),
    ],
)
def test_short_group_names_sudo_rs_cannot_read_are_refused(group, cut):
    (got,) = problems([{"group": group, "commands": ["ALL"]}], fq=False)
    assert got.startswith(f'ad_sudoers_rules[0].group "{group}" is written %{group}, which {WHERE}')
    assert f'reads "{cut}"' in got
    assert "fully_qualified" not in got  # short names already: that fix would not help


@pytest.mark.parametrize("group", ["NetworkAdmins", "net.admins", "net-admins", "net_admins", "x1"])
def test_short_group_names_sudo_rs_reads_pass(group):
    assert problems([{"group": group, "runas": "ALL:ALL", "commands": ["ALL"]}], fq=False) == []


def test_the_automation_account_rule_passes_and_odd_local_names_are_refused():
    assert problems([{"user": "ansible-automation", "nopasswd": True, "commands": ["ALL"]}]) == []
    got = problems([{"user": "_svc", "commands": ["ALL"]}, {"user": "host$", "commands": ["ALL"]}])
    assert got[0].startswith('ad_sudoers_rules[0].user "_svc" is written _svc, which sudo-rs')
    assert "starts with '_'" in got[0]
    assert got[1].startswith('ad_sudoers_rules[1].user "host$" is written host$')
    assert 'not "$"' in got[1]


def test_runas_names_sudo_rs_cannot_read_are_refused():
    rules = [
        {"group": "g", "runas": "root:adm", "commands": ["ALL"]},
        {"group": "g", "runas": "bob@example.test", "commands": ["ALL"]},
    ]
    (got,) = problems(rules, fq=False)
    assert got.startswith(
        'ad_sudoers_rules[1].runas "bob@example.test" names bob@example.test, which sudo-rs'
    )


def test_sudoedit_and_glob_arguments_are_refused_anywhere():
    aliases = {"EDIT": ["sudoedit /etc/hosts"], "LS": ["/bin/ls /tmp/*"]}
    rules = [
        {"group": "g", "commands": ["EDIT", "LS"]},
        {"group": "g", "commands": ["/bin/grep ^root /etc/passwd", "/bin/echo a?b"]},
    ]
    got = problems(rules, aliases, fq=False)
    assert [g.split(" ", 1)[0] for g in got] == [
        "ad_sudoers_command_aliases.EDIT[0]",
        "ad_sudoers_command_aliases.LS[0]",
        "ad_sudoers_rules[1].commands[0]",
        "ad_sudoers_rules[1].commands[1]",
    ]
    assert "has no sudoedit" in got[0]
    assert 'the argument "/tmp/*" literally' in got[1]
    assert 'the argument "^root"' in got[2]


def test_arguments_sudo_rs_matches_literally_pass():
    # sudo-rs 0.2.5 accepted \, \: \= \# in arguments and compares arguments as strings.
    rules = [{"group": "g", "commands": ["/bin/echo a,b c:d e=f g#h", '/usr/bin/journalctl ""']}]
    assert problems(rules, fq=False) == []


def test_build_refuses_before_resolving_or_rendering():
    params = {"rules": [{"group": "NetworkAdmins", "commands": ["no-such-command"]}],
              "domain": "example.test"}  # fmt: skip
    with pytest.raises(s.SudoersError) as error:
        s.build(params, labels=ROLE, sudo_rs=WHERE)
    assert len(error.value.errors) == 1 and "cannot read" in error.value.errors[0]
    with pytest.raises(s.SudoersError, match="no-such-command"):
        s.build(params, labels=ROLE)  # with sudo only the missing command is a problem


# ------------------------------------------------------------------------------ big groups
def test_group_entry_size_counts_strings_and_member_pointers():
    assert rs.group_entry_size("g", "*", []) == 2 + 2 + 8 + 8
    members = [f"member{i:03d}@example.test" for i in range(40)]
    assert rs.group_entry_size("g", "*", members) > rs.GROUP_BUFFER


def test_big_groups_are_warned_about_small_and_unknown_ones_not():
    members = [f"user{i:03d}@example.test" for i in range(60)]
    entries = {"big": ("big", "*", members), "small": ("small", "*", ["bob"])}
    rules = [{"group": n, "commands": ["ALL"]} for n in ("big", "small", "absent")]
    got = rs.big_group_warnings(spec(rules, fq=False), entries.get, WHERE)
    assert len(got) == 1
    assert got[0].startswith('ad_sudoers_rules[0].group "big": big has 60 members here')
    assert "ignore_group_members = True" in got[0]


# ------------------------------------------------------------------------------ includes
def reader(files):
    return files.get


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        ({"/etc/sudoers": "@includedir /etc/sudoers.d\n"}, True),
        ({"/etc/sudoers": "#includedir /etc/sudoers.d\n"}, True),
        ({"/etc/sudoers": "# @includedir /etc/sudoers.d\n"}, False),
        ({"/etc/sudoers": "root ALL=(ALL:ALL) ALL\n"}, False),
        ({"/etc/sudoers": "@include sudoers.local\n",
          "/etc/sudoers.local": "@includedir sudoers.d"}, True),
        ({"/etc/sudoers": '@include "/etc/sudoers.d/ssm-runas"\n'}, True),
        ({"/etc/sudoers": "@include /etc/sudoers\n"}, False),  # a loop ends
        ({}, False),
    ],
)  # fmt: skip
def test_included_follows_include_directives(files, expected):
    assert rs.included(reader(files), "/etc/sudoers", "/etc/sudoers.d/ssm-runas") is expected


def test_includedir_skips_names_sudo_skips():
    files = {"/etc/sudoers": "@includedir /etc/sudoers.d\n"}
    assert not rs.included(reader(files), "/etc/sudoers", "/etc/sudoers.d/ssm.runas")
    assert not rs.included(reader(files), "/etc/sudoers", "/etc/sudoers.d/ssm-runas~")


# ------------------------------------------------------------------------------ module
def sudo_rs_here(monkeypatch):
    found = {"path": "/usr/bin/sudo", "implementation": "sudo-rs", "version": "0.2.5",
             "sudo_rs": WHERE}  # fmt: skip
    monkeypatch.setattr(sudoers_file_main, "detect_sudo", lambda _module, _path: dict(found))
    monkeypatch.setattr(sudoers_file_main, "find_visudo", lambda _module, _sudo: VISUDO)
    return found


@needs_visudo
@needs_root
def test_module_refuses_on_a_sudo_rs_host_before_writing(tmp_path, capsys, monkeypatch):
    found = sudo_rs_here(monkeypatch)
    path = tmp_path / "ssm-runas"
    path.write_text("# the old rules\n")
    args = {
        "path": str(path),
        "domain": "example.test",
        "rules": [{"group": "Help Desk", "commands": ["/usr/bin/id"]}],
        "var_prefix": "ad_sudoers_",
    }
    for check_mode in (True, False):
        result = run_module(dict(args, _ansible_check_mode=check_mode), capsys)
        assert result["failed"] is True
        assert result["msg"].startswith(
            'ad_sudoers_rules[0].group "Help Desk" is written %Help Desk@example.test, which '
            "sudo-rs 0.2.5 (the sudo on this host) cannot read"
        )
        assert result["sudo"] == found
        assert path.read_text() == "# the old rules\n"


@needs_visudo
@needs_root
def test_module_writes_what_sudo_rs_reads_and_checks_its_includes(tmp_path, capsys, monkeypatch):
    sudo_rs_here(monkeypatch)
    monkeypatch.setattr(sudoers_file_main, "group_entry", lambda _name: None)
    args = {
        "path": str(tmp_path / "ssm-runas"),
        "fully_qualified": False,
        "command_aliases": {"NW_CMDS": ["/bin/true"]},
        "rules": [{"group": "networkadmins", "nopasswd": True, "commands": ["NW_CMDS"]}],
    }
    policy = tmp_path / "sudoers-rs"
    policy.write_text("root ALL=(ALL:ALL) ALL\n")
    monkeypatch.setattr(sudoers_file_main, "sudo_rs_policy", lambda: str(policy))
    result = run_module(args, capsys)
    assert result["changed"] is True, result
    assert "%networkadmins ALL=(ALL) NOPASSWD: NW_CMDS\n" in result["content"]
    assert result["sudo"]["implementation"] == "sudo-rs"
    # sudo-rs's visudo -c names only the main file, so its includes are followed instead.
    assert f"{args['path']} is not included by {policy}" in json.dumps(result["warnings"])
    policy.write_text(f"@includedir {tmp_path}\n")
    os.chmod(args["path"], 0o644)
    ansible_warnings._global_warnings.clear()  # a module's warnings outlive it in-process
    result = run_module(args, capsys)
    assert result["changed"] is True and not result.get("warnings"), result
    assert run_module(args, capsys)["changed"] is False


@needs_visudo
def test_this_controllers_sudo_is_found_as_sudo(capsys):
    class Probe:
        @staticmethod
        def run_command(argv):
            proc = subprocess.run(argv, capture_output=True, text=True, check=False)
            return proc.returncode, proc.stdout, proc.stderr

    found = sudoers_host.detect_sudo(Probe, "/etc/sudoers.d/ssm-runas")
    if found["path"] is None:
        pytest.skip("no sudo on this machine's search path")
    assert found["implementation"] == "sudo" and found["sudo_rs"] is None
    assert found["version"].startswith("1.")
    json.dumps(found)
    assert os.path.isabs(found["path"])
