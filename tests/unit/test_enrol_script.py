"""The launch script (EC2 user data) and its SSM document: small enough, valid sh, and run for
real in a sandbox where it installs the enroller byte for byte or refuses a tampered one.

The script writes to absolute paths (/etc/ssm-runas-enrol, /usr/local/libexec/ssm-runas-enrol,
/etc/systemd/system). The sandbox runs the script's own text with those three directory names
replaced by the same paths under a temporary root (a plain string replace, checked to have
left none behind), and with a `systemctl` first on PATH that only records its arguments.
"""

# ruff: noqa: S106 - secret_store and secret_name are names, not secrets.

import base64
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess

import pytest
from ansible_collections.federated.ssm_runas.plugins.module_utils import enrol_agent
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import enrol_script
from ansible_collections.federated.ssm_runas.plugins.plugin_utils.enrol_script import (
    USER_DATA_LIMIT,
    ssm_document,
    user_data,
)

SHA = hashlib.sha256(b"bundle").hexdigest()
SETTINGS = enrol_script.config(
    bucket="enrol-bucket",
    key=f"enrol/{SHA}.tar.gz",
    sha256=SHA,
    secret_store="secretsmanager",
    secret_name="ssm-runas/join",
    region="eu-west-1",
)
SCRIPT_DIR = enrol_agent.SCRIPT_FILE.rsplit("/", 1)[0]
CONFIG_DIR = enrol_agent.CONFIG_FILE.rsplit("/", 1)[0]
UNIT_DIR = "/etc/systemd/system"
DIRS = (SCRIPT_DIR, CONFIG_DIR, UNIT_DIR)
MARKER = "SSM_RUNAS_ENROL_EOF"
PACKED = re.compile(
    rf"^base64 -d <<'{MARKER}' \| gzip -dc > \S+\n(?P<block>[A-Za-z0-9+/=\n]+?)\n{MARKER}\n",
    re.M,
)


@pytest.fixture(scope="module")
def script():
    return user_data(SETTINGS)


def packed_block(text):
    found = PACKED.search(text)
    assert found, text[:2000]
    return found.group("block")


def test_the_script_fits_in_user_data(script):
    assert len(script.encode()) < USER_DATA_LIMIT
    assert script.startswith("#!/bin/sh\n")


def test_sh_accepts_the_script(script):
    done = subprocess.run(["sh", "-n"], input=script, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr


def shellcheck(text):
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed: run `make setup`")
    return subprocess.run(
        ["shellcheck", "-s", "sh", "-"], input=text, capture_output=True, text=True, check=False
    )


def test_shellcheck_passes_the_script(script):
    done = shellcheck(script)
    assert done.returncode == 0, done.stdout


def test_the_packed_enroller_decodes_as_the_script_does_to_the_agent_text(script):
    block = packed_block(script)
    assert all(len(line) <= 76 for line in block.split("\n"))
    done = subprocess.run(
        ["sh", "-c", "base64 -d | gzip -dc"], input=block.encode(), capture_output=True, check=True
    )
    agent = enrol_script.agent_text().encode()
    assert done.stdout == agent
    digest = hashlib.sha256(agent).hexdigest()
    assert f"echo '{digest}  {enrol_agent.SCRIPT_FILE}.new' | sha256sum -c --quiet -\n" in script
    assert f"# {enrol_agent.SCRIPT_FILE}: SHA-256 {digest} " in script


def sandbox(tmp_path, text):
    """The script with its three directories moved under tmp_path/root, and a fake systemctl."""
    root = tmp_path / "root"
    for directory in DIRS:
        text = text.replace(directory, f"{root}{directory}")
    for directory in DIRS:
        assert directory not in text.replace(f"{root}{directory}", ""), directory
    (root / UNIT_DIR.lstrip("/")).mkdir(parents=True)  # there already on a systemd host
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "systemctl"
    fake.write_text('#!/bin/sh\nprintf "%s\\n" "$*" >> "$SYSTEMCTL_LOG"\n')
    fake.chmod(0o755)
    path = tmp_path / "user-data.sh"
    path.write_text(text)
    return root, path


def run_sandboxed(tmp_path, root, path):
    log = tmp_path / "systemctl.log"
    done = subprocess.run(
        ["sh", str(path)],
        env={"PATH": f"{tmp_path / 'bin'}:/usr/bin:/bin", "SYSTEMCTL_LOG": str(log), "LANG": "C"},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    calls = log.read_text().splitlines() if log.exists() else []
    return done, calls


def installed(root):
    return {
        "config": root / enrol_agent.CONFIG_FILE.lstrip("/"),
        "script": root / enrol_agent.SCRIPT_FILE.lstrip("/"),
        "unit": root / UNIT_DIR.lstrip("/") / enrol_agent.SERVICE,
    }


SERVICE_CALLS = [
    "daemon-reload",
    f"enable {enrol_agent.SERVICE}",
    f"restart --no-block {enrol_agent.SERVICE}",
]


def test_the_script_installs_config_enroller_and_unit_then_starts_the_service(tmp_path, script):
    root, path = sandbox(tmp_path, script)
    done, calls = run_sandboxed(tmp_path, root, path)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert calls == SERVICE_CALLS
    files = installed(root)
    config = files["config"].read_text()
    assert enrol_agent.load_config(config) == SETTINGS
    assert files["script"].read_bytes() == enrol_script.agent_text().encode()
    assert files["unit"].read_text() == enrol_script.UNIT.format(
        script=f"{root}{enrol_agent.SCRIPT_FILE}", config=f"{root}{enrol_agent.CONFIG_FILE}"
    )
    for file in files.values():
        assert oct(file.stat().st_mode & 0o777) == "0o644", file
    left = sorted(p.name for p in root.rglob("*") if p.is_file())
    assert left == sorted(["config.json", "enrol.py", enrol_agent.SERVICE])  # no *.new


def test_the_script_runs_again_to_the_same_result(tmp_path, script):
    root, path = sandbox(tmp_path, script)
    run_sandboxed(tmp_path, root, path)
    first = {k: v.read_bytes() for k, v in installed(root).items()}
    done, calls = run_sandboxed(tmp_path, root, path)
    assert done.returncode == 0, done.stderr
    assert calls == SERVICE_CALLS * 2
    assert {k: v.read_bytes() for k, v in installed(root).items()} == first


def another_enroller(block):
    """Another enroller, well packed: base64 and gzip accept it, only the checksum line can not."""
    other = enrol_script.agent_text() + "import os; os.system('id')\n"
    packed = base64.b64encode(gzip.compress(other.encode(), mtime=0)).decode()
    return "\n".join(packed[i : i + 76] for i in range(0, len(packed), 76))


def one_character(block):
    middle = len(block) // 2
    return block[:middle] + ("A" if block[middle] != "A" else "B") + block[middle + 1 :]


@pytest.mark.parametrize(
    ("tamper", "stopped_by"),
    [(another_enroller, "FAILED"), (one_character, "gzip: |FAILED")],
    ids=["another-enroller", "one-character"],
)
def test_a_tampered_enroller_stops_the_script_before_anything_is_installed(
    tmp_path, script, tamper, stopped_by
):
    block = packed_block(script)
    replacement = tamper(block)
    assert replacement != block
    root, path = sandbox(tmp_path, script.replace(block, replacement))
    done, calls = run_sandboxed(tmp_path, root, path)
    assert done.returncode != 0
    # sha256sum -c prints FAILED; a damaged stream makes gzip fail its CRC first.
    assert re.search(stopped_by, done.stdout + done.stderr), done.stdout + done.stderr
    assert calls == []
    files = installed(root)
    assert not files["script"].exists()
    assert not files["unit"].exists()


def test_config_values_are_written_literally_not_run_by_the_shell(tmp_path):
    pwned = tmp_path / "pwned"
    settings = dict(SETTINGS, secret_name=f"$(touch {pwned})`touch {pwned}`'\"\\")
    root, path = sandbox(tmp_path, user_data(settings))
    done, _ = run_sandboxed(tmp_path, root, path)
    assert done.returncode == 0, done.stderr
    assert not pwned.exists()
    assert json.loads(installed(root)["config"].read_text()) == settings


def test_a_config_with_the_heredoc_marker_is_refused():
    settings = dict(SETTINGS, secret_name=f"x\n{MARKER}\nrm -rf /")
    with pytest.raises(ValueError, match=f"{enrol_agent.CONFIG_FILE}: .* marker {MARKER}"):
        user_data(settings)


def test_the_marker_inside_the_enroller_is_harmless_once_packed():
    text = user_data(SETTINGS, source=f"# {MARKER}\n")
    block = packed_block(text)
    decoded = gzip.decompress(base64.b64decode(block)).decode()
    assert decoded == enrol_script.agent_text(f"# {MARKER}\n")


def test_an_oversized_script_is_refused_naming_both_sizes():
    digests = b"".join(hashlib.sha256(b"%d" % n).digest() for n in range(700))
    noise = base64.b64encode(digests).decode()  # 30 KB that gzip cannot shrink much
    with pytest.raises(ValueError, match=rf"is \d+ bytes; EC2 user data holds {USER_DATA_LIMIT}"):
        user_data(SETTINGS, source=f"# {noise}\n")


# The SSM document


def test_the_ssm_document_runs_the_same_script_and_waits_for_the_service(script):
    document = ssm_document(script)
    assert document["schemaVersion"] == "2.2"
    (step,) = document["mainSteps"]
    assert step["action"] == "aws:runShellScript"
    lines = step["inputs"]["runCommand"]
    assert "\n".join(lines[:-1]) + "\n" == script
    assert lines[-1].startswith(f"systemctl start {enrol_agent.SERVICE} || ")
    assert f"journalctl -u {enrol_agent.SERVICE}" in lines[-1]
    assert lines[-1].endswith("exit 1; }")
    assert int(step["inputs"]["timeoutSeconds"]) >= enrol_script.DEFAULT_RETRY_SECONDS
    json.dumps(document)


def test_the_ssm_documents_command_is_valid_sh(script):
    command = "\n".join(ssm_document(script)["mainSteps"][0]["inputs"]["runCommand"]) + "\n"
    done = subprocess.run(["sh", "-n"], input=command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    checked = shellcheck(command)
    assert checked.returncode == 0, checked.stdout


def test_the_ssm_document_waits_for_the_service_and_reports_its_failure(tmp_path, script):
    command = "\n".join(ssm_document(script)["mainSteps"][0]["inputs"]["runCommand"]) + "\n"
    root, path = sandbox(tmp_path, command)
    (tmp_path / "bin" / "systemctl").write_text(
        '#!/bin/sh\nprintf "%s\\n" "$*" >> "$SYSTEMCTL_LOG"\n[ "$1" != start ]\n'
    )
    journal = tmp_path / "bin" / "journalctl"
    journal.write_text('#!/bin/sh\necho "journal: $*"\n')
    journal.chmod(0o755)
    done, calls = run_sandboxed(tmp_path, root, path)
    assert done.returncode == 1
    assert calls == [*SERVICE_CALLS, f"start {enrol_agent.SERVICE}"]
    assert done.stdout == f"journal: -u {enrol_agent.SERVICE} -n 40 --no-pager\n"
    assert os.path.exists(installed(root)["script"])
