"""runas_probe: what the agent would see for a run-as name, read-only, argv-only."""

import json
import os

import pytest
from ansible_collections.federated.ssm_runas.plugins.module_utils import enrol_state
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


SHA = "4f2a9c0e1b7d3a5f6e8c9b0a1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e"
CONVERGED = {
    "version": 1,
    "result": "converged",
    "bundle_sha256": SHA,
    "bundle_key": f"ssm-runas/bundles/{SHA}.tar.gz",
    "last_attempt_at": "2026-12-03T17:02:11Z",
    "enrolled_at": "2026-12-03T17:02:11Z",
}
FAILED = dict(CONVERGED, result="failed", enrolled_at=None, reason="realm join: DC unreachable")


def _without(data, key):
    return {k: v for k, v in data.items() if k != key}


# (id, what the path is: JSON-able data, raw bytes, "dir" or None for absent, expected result
#  without its path, or the words its error must contain)
STATE_CASES = [
    ("absent", None, {"exists": False}),
    (
        "converged",
        CONVERGED,
        {"exists": True, "state": dict(CONVERGED, reason=None)},
    ),
    ("failed-never-converged", FAILED, {"exists": True, "state": FAILED}),
    (
        "failed-after-converging",
        dict(FAILED, enrolled_at="2026-12-01T09:00:00Z"),
        {"exists": True, "state": dict(FAILED, enrolled_at="2026-12-01T09:00:00Z")},
    ),
    (
        "unknown-keys-are-dropped",
        dict(CONVERGED, debug="x"),
        {"exists": True, "state": dict(CONVERGED, reason=None)},
    ),
    ("a-directory", "dir", ["Is a directory"]),
    ("empty", b"", ["not JSON: Expecting value"]),
    ("bad-json", b'{"version": 1,', ["not JSON"]),
    ("not-utf8", b"\xff\xfe{}", ["not JSON", "utf-8"]),
    ("a-list", [CONVERGED], ["not a JSON object"]),
    ("too-large", b" " * 70000, ["larger than 65536 bytes"]),
    (
        "missing-keys",
        {"version": 1, "result": "converged"},
        [
            "bundle_sha256 None is not 64 lower-case hex digits",
            "bundle_key None is not an S3 key",
            "last_attempt_at None is not a UTC time",
            "enrolled_at None is not a UTC time",
        ],
    ),
    ("version-2", dict(CONVERGED, version=2), ["version 2 is not 1"]),
    ("version-true", dict(CONVERGED, version=True), ["version True is not 1"]),
    (
        "result-unknown",
        dict(CONVERGED, result="ok"),
        ["result 'ok' is not 'converged' or 'failed'"],
    ),
    ("upper-case-sha", dict(CONVERGED, bundle_sha256=SHA.upper()), ["bundle_sha256 '4F2A"]),
    ("short-sha", dict(CONVERGED, bundle_sha256=SHA[:12]), ["bundle_sha256 '4f2a9c0e1b7d' is not"]),
    ("sha-and-newline", dict(CONVERGED, bundle_sha256=SHA + "\n"), ["bundle_sha256 '4f2a"]),
    (
        "local-time",
        dict(CONVERGED, last_attempt_at="2026-12-03T17:02:11+01:00"),
        ["last_attempt_at '2026-12-03T17:02:11+01:00' is not a UTC time"],
    ),
    ("no-such-day", dict(CONVERGED, enrolled_at="2026-02-30T00:00:00Z"), ["enrolled_at"]),
    ("converged-never-enrolled", dict(CONVERGED, enrolled_at=None), ["enrolled_at None"]),
    ("failed-without-reason", _without(FAILED, "reason"), ["failed without a reason"]),
    ("failed-blank-reason", dict(FAILED, reason=" "), ["failed without a reason"]),
]


@pytest.mark.parametrize(
    ("content", "expected"), [c[1:] for c in STATE_CASES], ids=[c[0] for c in STATE_CASES]
)
def test_the_enrolment_state_is_read_as_the_service_writes_it(tmp_path, content, expected):
    path = tmp_path / "ssm-runas-enrol" / "enrolled.json"
    path.parent.mkdir()
    if content == "dir":
        path.mkdir()
    elif isinstance(content, bytes):
        path.write_bytes(content)
    elif content is not None:
        path.write_text(json.dumps(content))
    got = enrol_state.read_state(str(path))
    assert got.pop("path") == str(path)
    if isinstance(expected, dict):
        assert got == expected
        return
    assert set(got) == {"exists", "error"} and got["exists"] is True
    for words in expected:
        assert words in got["error"], got["error"]


class Exited(Exception):
    pass


def module_class(params):
    """AnsibleModule as runas_probe's main builds it: its argument spec's defaults, then
    params; exit_json ends the run with the result."""

    class Module(FakeModule):
        def __init__(self, argument_spec, supports_check_mode):
            defaults = {k: v.get("default") for k, v in argument_spec.items()}
            super().__init__({}, {**defaults, **params})
            self.argument_spec = argument_spec
            self.supports_check_mode = supports_check_mode

        def get_bin_path(self, name, required=False):
            return f"/usr/bin/{name}"

        def exit_json(self, **result):
            raise Exited(result, self)

    return Module


def test_main_reads_the_enrolment_state_in_the_same_call(tmp_path, monkeypatch):
    state = tmp_path / "enrolled.json"
    state.write_text(json.dumps(FAILED))
    params = {"names": ["bob"], "agent_sudoers": str(tmp_path / "none"), "enrol_state": str(state)}
    monkeypatch.setattr(rp, "AnsibleModule", module_class(params))
    with pytest.raises(Exited) as done:
        rp.main()
    result, module = done.value.args
    assert module.argument_spec["enrol_state"] == {"type": "path", "default": rp.ENROL_STATE}
    assert rp.ENROL_STATE == "/var/lib/ssm-runas-enrol/enrolled.json"
    assert module.supports_check_mode and result["changed"] is False
    assert set(result) == {"changed", "names", "agent_user", "enrolment"}
    assert result["enrolment"] == {"path": str(state), "exists": True, "state": FAILED}
    # Reading the state runs nothing: every command is an `id` (nobody resolves, so no sudo).
    assert {argv[0] for argv in module.calls} == {"/usr/bin/id"}
