"""The host_steps action through ansible-playbook: what the controller can judge is judged before
any connection, and defer_to hands the steps to a variable without calling the host.

The hosts are SSH hosts on a closed loopback port: a task that tried to reach one would end
UNREACHABLE, so a failure or an ok from these tasks proves no connection was made.
"""

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from ansible_collections.federated.ssm_runas.plugins.plugin_utils.host_steps_checks import (
    step_errors,
)

REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = sys.executable.replace("/python", "/ansible-playbook")
CLOSED = "ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=9 ansible_ssh_timeout=3"


def run(tmp_path, role_vars, hosts=("i-0Odd.Name", "web_02")):
    inv = tmp_path / "hosts.ini"
    inv.write_text("[ssm_instances]\n" + "".join(f"{h} {CLOSED}\n" for h in hosts))
    pb = tmp_path / "play.yml"
    pb.write_text(
        "- name: Sudo rules\n"
        "  hosts: ssm_instances\n"
        "  gather_facts: false\n"
        "  roles:\n"
        "    - role: federated.ssm_runas.ad_sudoers\n"
        "  post_tasks:\n"
        "    - name: The handed-over steps\n"
        "      ansible.builtin.debug:\n"
        "        msg: \"STEPS={{ ad_sudoers_host_steps | default('none') | to_json }}\"\n"
    )
    (tmp_path / "vars.json").write_text(json.dumps(role_vars))
    env = dict(
        os.environ,
        ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
        ANSIBLE_NOCOLOR="1",
        ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
        ANSIBLE_HOST_KEY_CHECKING="0",
    )
    done = subprocess.run(
        [PLAYBOOK, "-i", str(inv), str(pb), "-e", f"@{tmp_path / 'vars.json'}"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return done.stdout + done.stderr


def recaps(out):
    found = re.findall(
        r"^(\S+)\s+: ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)", out, re.M
    )
    assert found, out
    return {host: tuple(int(n) for n in numbers) for host, *numbers in found}


RULES = [{"group": "Net Admins", "commands": ["/usr/sbin/ip"], "nopasswd": True}]


def test_deferred_steps_are_checked_and_handed_over_without_a_connection(tmp_path):
    out = run(
        tmp_path,
        {"ad_sudoers_defer": True, "ad_sudoers_domain": "Corp.Example", "ad_sudoers_rules": RULES},
    )
    assert recaps(out) == {"i-0Odd.Name": (3, 0, 0, 0), "web_02": (3, 0, 0, 0)}, out
    handed = [json.loads(m) for m in re.findall(r'"msg": "STEPS=(.*)"', out.replace('\\"', '"'))]
    assert len(handed) == 2, out
    for steps in handed:
        assert [step["module"] for step in steps] == ["sudoers_file"]
        assert steps[0]["args"]["rules"] == RULES
        assert steps[0]["args"]["domain"] == "Corp.Example"
        assert steps[0]["args"]["var_prefix"] == "ad_sudoers_"


def test_bad_rules_fail_every_host_before_any_connection_naming_the_role_variables(tmp_path):
    rules = [
        {"group": "Domain Admins,ALL", "commands": ["/usr/sbin/ip"]},
        {"group": "Ops", "commands": ["ALL", "ip"], "runas": "root:root:x"},
    ]
    out = run(
        tmp_path,
        {"ad_sudoers_defer": True, "ad_sudoers_domain": "corp.example", "ad_sudoers_rules": rules},
    )
    assert {h: r[2:] for h, r in recaps(out).items()} == {
        "i-0Odd.Name": (0, 1),
        "web_02": (0, 1),
    }, out
    assert 'ad_sudoers_rules[0].group "Domain Admins,ALL"' in out
    assert "ad_sudoers_rules[1]" in out
    assert "STEPS=" not in out


def test_bad_file_name_is_named_by_the_role_variable_when_not_deferred(tmp_path):
    out = run(
        tmp_path,
        {
            "ad_sudoers_file": "/etc/sudoers.d/ssm.runas",
            "ad_sudoers_domain": "corp.example",
            "ad_sudoers_rules": RULES,
        },
        hosts=["h1"],
    )
    assert recaps(out)["h1"][2:] == (0, 1), out
    assert 'ad_sudoers_file "/etc/sudoers.d/ssm.runas"' in out


def test_good_steps_not_deferred_go_to_the_host(tmp_path):
    out = run(
        tmp_path, {"ad_sudoers_domain": "corp.example", "ad_sudoers_rules": RULES}, hosts=["h1"]
    )
    assert recaps(out)["h1"][2:] == (1, 0), out  # it tried the (closed) host


def test_checks_name_a_callers_own_prefix_and_skip_what_only_the_host_knows():
    step = {
        "module": "sudoers_file",
        "args": {
            "domain": "corp.example",
            "rules": [{"group": "Ops", "commands": ["no-such-command-here", "sudoedit"]}],
            "var_prefix": "mysudo_",
            "var_names": {"rules": "my_rules"},
        },
    }
    errors = step_errors([step])
    assert errors and all(e.startswith("my_rules[0]") for e in errors), errors
    step["args"]["rules"][0]["commands"] = [
        "no-such-command-here"
    ]  # exists or not: the host's call
    assert step_errors([step]) == []
    assert step_errors([{"module": "ad_homes", "args": {"anything": 1}}]) == []
    assert step_errors([dict(step, args=dict(step["args"], state="absent", rules="x"))]) == []
    assert step_errors("x") == ["steps must be a list of {module, name, args, args_from}, not str"]
    assert step_errors(
        [{"module": "sudoers_file", "args": {"domain": "corp.example", "bogus": 1}}]
    ) == [
        "sudoers_file step: unsupported parameters: bogus. Supported parameters include: "
        "command_aliases, domain, fully_qualified, header, missing_commands, path, rules, state, "
        "var_names, var_prefix."
    ]


def test_a_homes_step_with_an_interval_the_timer_cannot_keep_is_refused_on_the_controller():
    step = {
        "module": "ad_homes",
        "args": {
            "refresh_timer": "yes",
            "refresh_interval": "9",
            "var_names": {"refresh_interval": "ad_join_home_refresh_interval"},
        },
    }
    assert step_errors([step]) == [
        "ad_homes: ad_join_home_refresh_interval 9: give at least 10 seconds"
    ]
    step["args"]["refresh_timer"] = False
    assert step_errors([step]) == []
