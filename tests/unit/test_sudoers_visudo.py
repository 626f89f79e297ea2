"""The renderer's output against the real visudo, and the sudoers_file module end to end.

Needs visudo (Debian package sudo) on the controller; tests skip with a reason without it.
"""

import json
import os
import shutil
import subprocess

import pytest
from ansible.module_utils import _internal
from ansible.module_utils.testing import patch_module_args
from ansible_collections.federated.ssm_runas.plugins.module_utils import sudoers as s
from ansible_collections.federated.ssm_runas.plugins.module_utils import sudoers_file_main
from ansible_collections.federated.ssm_runas.plugins.modules import sudoers_file
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

VISUDO = shutil.which("visudo") or next(
    (p for p in ("/usr/sbin/visudo", "/sbin/visudo") if os.access(p, os.X_OK)), None
)
needs_visudo = pytest.mark.skipif(
    VISUDO is None, reason="visudo not installed: run `make setup` (installs sudo)"
)
needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="the module writes root:root files")


def visudo_check(tmp_path, text):
    path = tmp_path / "candidate"
    path.write_text(text)
    path.chmod(0o440)
    proc = subprocess.run([VISUDO, "-cf", str(path)], capture_output=True, text=True, check=False)
    return proc.returncode, proc.stdout + proc.stderr


RULE_SETS = [
    pytest.param(
        {
            "command_aliases": {"NW_CMDS": ["/usr/sbin/ip", "/usr/bin/ss"]},
            "rules": [
                {"group": "NetworkAdmins", "nopasswd": True, "commands": ["NW_CMDS"]},
                {"group": "SysAdmins", "runas": "ALL:ALL", "commands": ["ALL"]},
            ],
        },
        id="walkthrough",
    ),
    pytest.param(
        {
            "rules": [
                {"group": "Help Desk", "runas": "root", "commands": ["/usr/bin/id"]},
                {"group": "Domain Admins", "nopasswd": True, "commands": ["ALL"]},
                {"group": "Grüne Gruppe", "commands": ["/usr/bin/id"]},
                {"group": "O'Brien & Co $", "commands": ["/usr/bin/id"]},
            ]
        },
        id="group-names-with-spaces",
    ),
    pytest.param(
        {
            "rules": [
                {
                    "group": "ops",
                    "runas": "root:adm",
                    "commands": [
                        "/usr/bin/systemctl restart nginx",
                        "/usr/bin/foo a=b:c,d#e *x? [y] ^z !w (p) 'q' $HOME ~",
                        '/usr/bin/journalctl ""',
                        "sudoedit /etc/hosts /etc/motd",
                    ],
                }
            ]
        },
        id="arguments-escaped",
    ),
    pytest.param(
        {
            "command_aliases": {"A_1": ["/bin/a"], "B": ["/bin/b", "/bin/b x"]},
            "rules": [{"group": "g", "runas": "bob@example.test", "commands": ["A_1", "B"]}],
        },
        id="aliases-and-upn-runas",
    ),
    pytest.param(
        {
            "rules": [
                {"user": "ansible-automation", "nopasswd": True, "commands": ["ALL"]},
                {"user": "_svc$", "runas": "root", "commands": ["/usr/bin/id"]},
            ]
        },
        id="local-users",
    ),
]


@needs_visudo
@pytest.mark.parametrize("fq", [True, False], ids=["fq", "bare"])
@pytest.mark.parametrize("params", RULE_SETS)
def test_rendered_rules_pass_visudo(tmp_path, params, fq):
    spec = s.validate(
        params["rules"],
        command_aliases=params.get("command_aliases", {}),
        domain="example.test",
        fully_qualified=fq,
    )
    rc, out = visudo_check(tmp_path, s.render(spec))
    assert rc == 0, out
    assert "parsed OK" in out


@needs_visudo
def test_visudo_rejects_what_we_reject(tmp_path):
    """Sanity of the oracle: the raw injection is something visudo would not catch alone."""
    rc, _out = visudo_check(tmp_path, "%a,ALL ALL=(ALL) ALL\n")
    assert rc == 0  # visudo accepts it: only our validation stops the privilege widening
    rc, _out = visudo_check(tmp_path, "Cmnd_Alias CWD = /bin/ls\n")
    assert rc != 0
    assert "CWD" in s.RESERVED_WORDS


GROUP_CHARS = st.sampled_from(list("aZ09 ._-'&$,:=!#\"\\()%@*?[]\n\t\x00\u00a0é+;|<>/"))


@needs_visudo
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(group=st.text(GROUP_CHARS, min_size=0, max_size=12), arg=st.text(GROUP_CHARS, max_size=8))
def test_anything_accepted_is_one_valid_rule(tmp_path, group, arg):
    rules = [{"group": group, "commands": ["/usr/bin/id " + arg if arg.strip() else "/usr/bin/id"]}]
    try:
        spec = s.validate(rules, domain="example.test")
    except s.SudoersError as error:
        assert all(e.startswith("rules[0].") for e in error.errors)
        return
    text = s.render(spec)
    rules_lines = [ln for ln in text.splitlines() if ln and not ln.startswith("#")]
    assert len(rules_lines) == 1
    assert rules_lines[0].startswith(s.render_group(group, "example.test", True) + " ALL=(ALL) ")
    rc, out = visudo_check(tmp_path, text)
    assert rc == 0, (text, out)


# ------------------------------------------------------------------------------ module
def run_module(args, capsys):
    # Modules run in their own process on the target; once any controller code has been
    # imported in this test process, warnings would go to the controller's display instead
    # of the module result.
    saved = _internal.is_controller
    _internal.is_controller = False
    try:
        with patch_module_args(args), pytest.raises(SystemExit):
            sudoers_file.main()
    finally:
        _internal.is_controller = saved
    return json.loads(capsys.readouterr().out)


@pytest.fixture
def module_args(tmp_path):
    return {
        "path": str(tmp_path / "ssm-runas"),
        "domain": "example.test",
        "command_aliases": {"NW_CMDS": ["sh", "/bin/true"]},
        "rules": [
            {"group": "NetworkAdmins", "nopasswd": True, "commands": ["NW_CMDS"]},
            {"group": "Help Desk", "runas": "root", "commands": ['/usr/bin/env ""']},
        ],
    }


@needs_visudo
@needs_root
def test_module_check_apply_check_apply_absent(module_args, capsys):
    path = module_args["path"]
    check = run_module(dict(module_args, _ansible_check_mode=True), capsys)
    assert check["changed"] is True
    assert not os.path.exists(path)
    assert check["diff"]["before"] == ""
    assert '"%Help Desk@example.test" ALL=(root) /usr/bin/env ""' in check["diff"]["after"]

    applied = run_module(module_args, capsys)
    assert applied["changed"] is True
    assert applied["content"] == check["content"]
    assert applied["resolved_commands"]["sh"] in ("/usr/bin/sh", "/bin/sh")
    st_ = os.stat(path)
    assert (st_.st_mode & 0o7777, st_.st_uid, st_.st_gid) == (0o440, 0, 0)
    with open(path) as handle:
        assert handle.read() == applied["content"]
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".")]

    assert run_module(dict(module_args, _ansible_check_mode=True), capsys)["changed"] is False
    assert run_module(module_args, capsys)["changed"] is False

    os.chmod(path, 0o644)  # a drifted mode is a change too
    assert run_module(module_args, capsys)["changed"] is True
    assert os.stat(path).st_mode & 0o7777 == 0o440

    fewer = dict(module_args, rules=module_args["rules"][:1])
    removed_rule = run_module(fewer, capsys)
    assert removed_rule["changed"] is True
    with open(path) as handle:
        assert "Help Desk" not in handle.read()

    absent = {"path": path, "state": "absent"}
    assert run_module(dict(absent, _ansible_check_mode=True), capsys)["changed"] is True
    assert os.path.exists(path)
    assert run_module(absent, capsys)["changed"] is True
    assert not os.path.exists(path)
    assert run_module(absent, capsys)["changed"] is False


@needs_visudo
@needs_root
def test_module_reports_missing_and_bad_input_without_writing(module_args, capsys):
    path = module_args["path"]
    missing = dict(module_args, rules=[{"group": "g", "commands": ["no-such-cmd-xyz"]}])
    result = run_module(missing, capsys)
    assert result["failed"] is True
    assert (
        'rules[0].commands[0] "no-such-cmd-xyz" was not found in /usr/local/sbin:'
        in (result["msg"])
    )
    warned = run_module(dict(missing, missing_commands="warn", var_prefix="ad_sudoers_"), capsys)
    assert warned["changed"] is True
    assert warned["skipped_commands"][0]["command"] == "no-such-cmd-xyz"
    assert (
        'ad_sudoers_rules[0].commands[0] \\"no-such-cmd-xyz\\" was not found in /usr/local/sbin:'
        in json.dumps(warned["warnings"])
    )
    os.unlink(path)

    hostile = dict(module_args, rules=[{"group": "a\n%evil ALL=(ALL) ALL", "commands": ["sh"]}])
    result = run_module(hostile, capsys)
    assert result["failed"] is True
    assert result["msg"].startswith('rules[0].group "a\\n%evil')
    assert not os.path.exists(path)

    result = run_module(dict(module_args, path="/etc/sudoers"), capsys)
    assert result["failed"] is True
    assert "never managed" in result["msg"]


@needs_visudo
@needs_root
@pytest.mark.parametrize("existed", [True, False], ids=["replaced", "new"])
def test_module_puts_the_old_file_back_when_the_whole_policy_breaks(
    module_args, capsys, monkeypatch, existed
):
    path = module_args["path"]
    if existed:
        with open(path, "wb") as handle:
            handle.write(b"# the old rules\n")
        os.chmod(path, 0o440)
    verdicts = iter([(0, "/etc/sudoers: parsed OK"), (1, "Alias NW_CMDS already defined")])
    monkeypatch.setattr(sudoers_file_main, "policy_ok", lambda _module, _visudo: next(verdicts))
    result = run_module(module_args, capsys)
    assert result["failed"] is True
    assert "so the old state was put back: Alias NW_CMDS already defined" in result["msg"]
    if existed:
        with open(path, "rb") as handle:
            assert handle.read() == b"# the old rules\n"
        st_ = os.stat(path)
        assert (st_.st_mode & 0o7777, st_.st_uid, st_.st_gid) == (0o440, 0, 0)
    else:
        assert not os.path.exists(path)
    assert not [n for n in os.listdir(os.path.dirname(path)) if n.startswith(".")]


@needs_visudo
@needs_root
@pytest.mark.parametrize(
    ("rule", "expected"),
    [
        (
            {"user": "ansible-automation", "nopasswd": True, "commands": ["ALL"]},
            "ansible-automation ALL=(ALL) NOPASSWD: ALL",
        ),
        ({"commands": ["ALL"]}, "one of the following is required: group, user"),
        (
            {"group": "ops", "user": "auto", "commands": ["ALL"]},
            "parameters are mutually exclusive: group|user",
        ),
    ],
    ids=["user-rule", "neither", "both"],
)
def test_module_takes_a_group_or_a_user_per_rule(tmp_path, capsys, rule, expected):
    args = {"path": str(tmp_path / "automation"), "fully_qualified": False, "rules": [rule]}
    result = run_module(args, capsys)
    if result.get("failed"):
        assert expected in result["msg"]
        assert not os.path.exists(args["path"])
    else:
        assert expected in result["content"].splitlines()
