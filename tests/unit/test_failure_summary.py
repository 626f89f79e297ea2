"""tools/failure_summary.py finds why a gate failed in real Ansible and pytest output.

The logs are made by running ansible-playbook and pytest here, not written by hand: an outer
play whose command task runs an inner ansible-playbook that fails an assert (what a molecule
verify step does), and a failing pytest file.
"""

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
spec = importlib.util.spec_from_file_location("summary", REPO / "tools" / "failure_summary.py")
failure_summary = importlib.util.module_from_spec(spec)
spec.loader.exec_module(failure_summary)

INNER = """\
- name: Inner
  hosts: localhost
  gather_facts: false
  tasks:
    - name: Frank is green
      ansible.builtin.assert:
        that: "'red' == 'green'"
        fail_msg: "frank red at id: invalid group Zz-Marker"
"""

OUTER = """\
- name: Outer
  hosts: localhost
  gather_facts: false
  tasks:
    - name: A task before
      ansible.builtin.debug:
        msg: fine
    - name: Verify playbook has run
      ansible.builtin.command:
        argv: ["{bin}/ansible-playbook", "-i", "localhost,", "-c", "local", "-e",
               "ansible_python_interpreter={python}", "{inner}"]
      changed_when: false
"""


def _run(argv, cwd):
    env = dict(os.environ, ANSIBLE_FORCE_COLOR="1", ANSIBLE_NOCOLOR="0", PY_COLORS="1")
    env.pop("ANSIBLE_CONFIG", None)
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    assert done.returncode != 0, done.stdout
    return done.stdout + done.stderr


def test_nested_playbook_failure_is_named(tmp_path):
    (tmp_path / "inner.yml").write_text(INNER)
    outer = OUTER.format(bin=BIN, python=sys.executable, inner=tmp_path / "inner.yml")
    (tmp_path / "outer.yml").write_text(outer)
    python = f"ansible_python_interpreter={sys.executable}"
    playbook = [str(BIN / "ansible-playbook"), "-i", "localhost,", "-c", "local", "-e", python]
    log = _run([*playbook, "outer.yml"], tmp_path)
    lines = failure_summary.summarize(log)
    text = "\n".join(lines)
    assert "TASK [Verify playbook has run]" in text
    assert "stdout, what failed in it:" in text
    assert "TASK [Frank is green]" in text  # the inner play's task, from the outer task's stdout
    assert "invalid group Zz-Marker" in text
    assert "A task before" not in text
    assert "\x1b[" not in text  # colours stripped


def test_pytest_failure_is_named(tmp_path):
    test = "def test_home():\n    assert '/usr/bin' == '/home/bob', 'Zz-Home'\n"
    (tmp_path / "test_x.py").write_text(test)
    pytest = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    log = _run([*pytest, "test_x.py"], tmp_path)
    text = "\n".join(failure_summary.summarize(log))
    assert "FAILED test_x.py::test_home" in text
    assert "Zz-Home" in text


def test_main_says_when_nothing_is_found(tmp_path, capsys):
    (tmp_path / "ok.log").write_text("== make lint\nall good\n")
    assert failure_summary.main([str(tmp_path / "ok.log")]) == 0
    assert "no failure lines found" in capsys.readouterr().out


def test_failures_inside_molecules_boxes_are_found():
    log = (
        "  \x1b[2m│\x1b[0m ___ test_preflight[ssm-runas-mol-linux-i1] ___\n"
        "  \x1b[2m│\x1b[0m E           json.decoder.JSONDecodeError: Extra data\n"
        "  \x1b[2m│\x1b[0m FAILED tests/test_join.py::test_preflight[i1] - json.decoder\n"
    )
    text = "\n".join(failure_summary.summarize(log))
    assert "E           json.decoder.JSONDecodeError: Extra data" in text
    assert "FAILED tests/test_join.py::test_preflight[i1]" in text


def test_lint_failures_name_the_file_line_and_rule(tmp_path):
    """What ruff and yamllint print for a real bad file (make lint's own tools)."""
    (tmp_path / "bad.py").write_text("import os\nx = '" + "a" * 120 + "'\n")
    (tmp_path / "bad.yml").write_text("---\nkey: " + "b" * 130 + "\n")
    bin_dir = Path(sys.executable).parent
    ruff = subprocess.run(
        [
            str(bin_dir / "ruff"),
            "check",
            "--no-cache",
            "--config",
            str(REPO / "pyproject.toml"),
            "bad.py",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    yamllint = subprocess.run(
        [str(bin_dir / "yamllint"), "-c", str(REPO / ".yamllint"), "-s", "."],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ruff.returncode != 0 and yamllint.returncode != 0
    lines = failure_summary.summarize(ruff.stdout + yamllint.stdout)
    text = "\n".join(lines)
    assert "--> bad.py:2:101" in text, text
    assert any(line.startswith("E501 ") for line in lines), text
    assert "./bad.yml" in text and "line too long" in text, text
