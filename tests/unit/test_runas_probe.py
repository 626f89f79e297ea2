"""runas_probe: what the agent would see for a run-as name, read-only, argv-only."""

import os

import pytest
from ansible_collections.federated.ssm_runas.plugins.modules import runas_probe as rp

ID_CASES = [
    (
        "uid=1385601104(bob@example.test) gid=1385600513(domain users@example.test) "
        "groups=1385600513(domain users@example.test),1385601105(networkadmins@example.test)",
        {
            "uid": 1385601104,
            "gid": 1385600513,
            "user": "bob@example.test",
            "group": "domain users@example.test",
            "groups": ["domain users@example.test", "networkadmins@example.test"],
        },
    ),
    (
        "uid=0(root) gid=0(root) groups=0(root)",
        {"uid": 0, "gid": 0, "user": "root", "group": "root", "groups": ["root"]},
    ),
    (
        "uid=1000(help desk@example.test) gid=1000(help desk@example.test) "
        "groups=1000(help desk@example.test)",
        {
            "uid": 1000,
            "gid": 1000,
            "user": "help desk@example.test",
            "group": "help desk@example.test",
            "groups": ["help desk@example.test"],
        },
    ),
]


@pytest.mark.parametrize(("text", "expected"), ID_CASES, ids=["ad-user", "root", "spaces"])
def test_parse_id(text, expected):
    assert rp.parse_id(text) == expected


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("bob@example.test", None),
        ("Bob@Example.Test", None),
        ("-u", "starts with '-'"),
        ("../etc", "contains '/'"),
        ("..", "empty, '.' or '..'"),
        ("", "empty, '.' or '..'"),
        ("bob\nroot", "contains a control character"),
    ],
)
def test_names_that_would_escape_are_refused(name, reason):
    assert rp.invalid_reason(name) == reason


def test_stat_path_reports_owner_mode_and_absence(tmp_path):
    home = tmp_path / "bob@example.test"
    home.mkdir(mode=0o700)
    got = rp.stat_path(str(home))
    assert got["exists"] and got["is_dir"] and got["uid"] == os.getuid() and got["mode"] == "0700"
    assert rp.stat_path(str(tmp_path / "missing")) == {
        "path": str(tmp_path / "missing"),
        "exists": False,
    }


class FakeModule:
    """Answers run_command like id and sudo would; records every argv."""

    def __init__(self, users, params=None):
        self.users = users
        self.params = {"sudo": True, **(params or {})}
        self.calls = []

    def run_command(self, argv):
        self.calls.append(argv)
        if argv[0].endswith("id"):
            return self.id(argv[1:])
        name = argv[-1]
        return 0, f"User {name} may run the following commands on h:\n    (ALL) ALL\n", ""

    def id(self, args):
        """GNU id: one line per user named, rc 1 when any is unknown."""
        option = args[0] if args[0] in ("-u", "-g") else None
        out, err = "", ""
        for name in args[1:] if option else args:
            known = self.users.get(name.lower())
            if known is None:
                err += f"id: '{name}': no such user\n"
            elif option:
                out += f"{known}\n"
            else:
                out += f"uid={known}({name.lower()}) gid={known}(users) groups={known}(users)\n"
        return (1 if err else 0), out, err


def test_probe_uses_the_name_as_given_for_home_and_the_canonical_one_too(tmp_path):
    (tmp_path / "bob@example.test").mkdir()
    module = FakeModule({"bob@example.test": 1385601104})
    got = rp.probe(module, "Bob@example.test", str(tmp_path), "/usr/bin/id", "/usr/bin/sudo")
    assert got["id"]["ok"] and got["id"]["user"] == "bob@example.test"
    assert got["home"]["path"].endswith("/Bob@example.test") and not got["home"]["exists"]
    assert got["canonical_home"]["exists"]
    assert "(ALL) ALL" in got["sudo"]["stdout"]
    # argv only, in the agent's order; its plain `id` doubles as the one-argument lookup.
    assert module.calls == [
        ["/usr/bin/id", "Bob@example.test"],
        ["/usr/bin/id", "-u", "Bob@example.test"],
        ["/usr/bin/id", "-g", "Bob@example.test"],
        ["/usr/bin/id", "Bob@example.test"],
        ["/usr/bin/sudo", "-n", "-l", "-U", "Bob@example.test"],
    ]
    assert got["agent"]["ok"] and got["agent"]["uid"] == 1385601104


def test_unknown_user_is_not_sudo_probed(tmp_path):
    module = FakeModule({})
    got = rp.probe(module, "zed@example.test", str(tmp_path), "/usr/bin/id", "/usr/bin/sudo")
    assert not got["id"]["ok"] and "no such user" in got["id"]["stderr"]
    assert got["agent"]["step"] == "exists"
    assert "sudo" not in got and len(module.calls) == 1


def test_a_name_with_a_space_is_replayed_split_and_looked_up_whole(tmp_path):
    module = FakeModule({"bob@example.test": 1001, "alice@example.test": 1002})
    name = "bob@example.test alice@example.test"
    got = rp.probe(module, name, str(tmp_path), "/usr/bin/id", "/usr/bin/sudo")
    assert got["agent"]["words"] == ["bob@example.test", "alice@example.test"]
    assert got["agent"]["step"] == "uid" and not got["agent"]["ok"]
    # Whole, as NSS sees the name: nobody.
    assert module.calls[-1] == ["/usr/bin/id", name] and not got["id"]["ok"]


def test_a_name_outside_the_tag_charset_is_not_replayed(tmp_path):
    module = FakeModule({})
    got = rp.probe(module, "bob;reboot", str(tmp_path), "/usr/bin/id", "/usr/bin/sudo")
    assert got["agent"]["step"] == "tag" and got["agent"]["calls"] == []
    assert module.calls == [["/usr/bin/id", "bob;reboot"]]


def test_invalid_name_runs_nothing(tmp_path):
    module = FakeModule({})
    got = rp.probe(module, "-n", str(tmp_path), "/usr/bin/id", "/usr/bin/sudo")
    assert got == {"valid": False, "reason": "starts with '-'"} and module.calls == []


AGENT_FILE = "# Created by amazon-ssm-agent\nssm-user ALL=(ALL) NOPASSWD:ALL\n\n#includedir /x\n"


@pytest.mark.parametrize(
    ("users", "content", "expected"),
    [
        (
            {"ssm-user": 1001},
            AGENT_FILE,
            {
                "id_ok": True,
                "sudo": True,
                "file": {
                    "exists": True,
                    "rules": ["ssm-user ALL=(ALL) NOPASSWD:ALL", "#includedir /x"],
                },
            },
        ),
        ({}, None, {"id_ok": False, "sudo": False, "file": {"exists": False}}),
        # The file outlives the account (or the other way round): both are reported as found.
        ({}, AGENT_FILE, {"id_ok": False, "sudo": False, "file": {"exists": True}}),
    ],
    ids=["agent-account-with-sudo", "never-created", "file-without-account"],
)
def test_the_agents_own_account_and_its_sudoers_file(tmp_path, users, content, expected):
    path = tmp_path / "ssm-agent-users"
    if content is not None:
        path.write_text(content)
    module = FakeModule(users, {"agent_user": "ssm-user", "agent_sudoers": str(path)})
    got = rp.probe_agent_user(module, "/usr/bin/id", "/usr/bin/sudo")
    assert got["name"] == "ssm-user"
    assert got["id"]["ok"] is expected["id_ok"]
    assert ("sudo" in got) is expected["sudo"]
    assert got["sudoers_file"]["path"] == str(path)
    for key, value in expected["file"].items():
        assert got["sudoers_file"][key] == value


def test_an_unreadable_agent_sudoers_file_says_why(tmp_path):
    directory = tmp_path / "d"
    directory.mkdir()
    got = rp.read_rules(str(directory))  # reading a directory fails like a denied file
    assert got["exists"] is True and got["error"]
