"""tools/secret_scan.py finds lab passwords in logs, in any encoding, and passes clean logs."""

import base64
import importlib.util
import json
import sys
import urllib.parse
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
spec = importlib.util.spec_from_file_location("secret_scan", REPO / "tools" / "secret_scan.py")
secret_scan = importlib.util.module_from_spec(spec)
sys.modules["secret_scan"] = secret_scan  # dataclasses look their module up
spec.loader.exec_module(secret_scan)

ADMIN = "Lab-Q2w3e4r5t6y7u8i9o0pA-9x"
BOB = "Lab-ZxCvBnMaSdFgHjKl1234-9x"
ODD = "p@ss w/rd+&=?%-Long1"  # characters that URL encoding changes


@pytest.fixture
def state(tmp_path):
    root = tmp_path / "state"
    (root / "lab").mkdir(parents=True)
    (root / "lab" / "secrets.json").write_text(
        json.dumps({"admin_password": ADMIN, "users": {"bob": BOB}})
    )
    (root / "other").mkdir()
    (root / "other" / "secrets.json").write_text(json.dumps({"admin_password": ODD}))
    return root


def logs(tmp_path, text, name="run.log"):
    directory = tmp_path / "logs"
    directory.mkdir(exist_ok=True)
    (directory / name).write_bytes(text.encode() if isinstance(text, str) else text)
    return directory


def run(capsys, *argv):
    rc = secret_scan.main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return rc, out, err


def basic_auth(user, password):
    return base64.b64encode(f"{user}:{password}".encode()).decode()


PLANTED = [
    ("plain", f"TASK [join] ok: stdin={ADMIN}\n", "'lab' admin_password"),
    ("in-word", f"x{BOB}y\n", "'lab' users.bob"),
    ("basic-auth-1", f"Authorization: Basic {basic_auth('a', ADMIN)}\n", "admin_password"),
    ("basic-auth-2", f"Authorization: Basic {basic_auth('ab', ADMIN)}\n", "admin_password"),
    ("basic-auth-3", f"Authorization: Basic {basic_auth('abc', ADMIN)}\n", "admin_password"),
    ("base64url", base64.urlsafe_b64encode(b"\xfb\xff" + BOB.encode()).decode(), "users.bob"),
    ("url-encoded", "password=" + urllib.parse.quote(ODD, safe="") + "\n", "'other'"),
    ("form-encoded", "password=" + urllib.parse.quote_plus(ODD) + "\n", "'other'"),
    ("url-lower", "p=" + urllib.parse.quote(ODD, safe="").lower() + "\n", "'other'"),
    ("json-in-binary", b"\x00\x01" + json.dumps({"pw": BOB}).encode(), "users.bob"),
]


@pytest.mark.parametrize("planted", PLANTED, ids=[p[0] for p in PLANTED])
def test_planted_secret_is_found_and_not_echoed(tmp_path, state, capsys, planted):
    case, text, label = planted
    directory = logs(tmp_path, "harmless first line\n" + text if isinstance(text, str) else text)
    rc, out, _err = run(capsys, "--state-dir", state, directory)
    assert rc == 1, case
    assert label in out
    line = 1 if isinstance(text, bytes) else 2
    assert f"run.log:{line}:" in out
    for secret in (ADMIN, BOB, ODD):
        assert secret not in out


def test_clean_logs_pass(tmp_path, state, capsys):
    text = "\n".join(
        [
            "TASK [ad_join : Host is joined] changed: [i1]",
            "Authorization: Basic " + basic_auth("Administrator", "not-the-password-123"),
            "password: ********",
            "Lab-" + ADMIN[4:10],  # a fragment of a secret is not the secret
        ]
    )
    rc, out, err = run(capsys, "--state-dir", state, logs(tmp_path, text))
    assert rc == 0
    assert out == ""
    assert "1 file(s), 3 secret(s): clean" in err


def test_every_file_in_a_tree_is_scanned_and_each_hit_reported(tmp_path, state, capsys):
    directory = logs(tmp_path, "clean\n", name="a.log")
    nested = directory / "molecule" / "linux"
    nested.mkdir(parents=True)
    (nested / "converge.log").write_text(f"ok\nok\n{ADMIN} and {BOB}\n")
    rc, out, _err = run(capsys, "--state-dir", state, directory)
    assert rc == 1
    assert sorted(out.splitlines()) == sorted(
        [
            f"{nested / 'converge.log'}:3: lab 'lab' admin_password (plain)",
            f"{nested / 'converge.log'}:3: lab 'lab' users.bob (plain)",
        ]
    )


def test_secrets_files_themselves_are_not_hits(tmp_path, state, capsys):
    rc, _out, _err = run(capsys, "--state-dir", state, state)
    assert rc == 0


def test_missing_path_is_a_usage_error(tmp_path, state, capsys):
    rc, _out, err = run(capsys, "--state-dir", state, tmp_path / "nope")
    assert rc == 2 and "no such file" in err


def test_no_labs_means_nothing_to_find(tmp_path, capsys):
    empty = tmp_path / "empty-state"
    empty.mkdir()
    rc, out, _err = run(capsys, "--state-dir", empty, logs(tmp_path, ADMIN))
    assert rc == 0 and "nothing to look for" in out


@pytest.mark.parametrize("offset", [0, 1, 2])
def test_base64_cores_survive_any_alignment(offset):
    secret = BOB.encode()
    blob = base64.b64encode(b"x" * offset + secret + b"tail")
    assert any(core in blob for core in secret_scan.base64_cores(secret))
