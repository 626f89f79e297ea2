"""Shared controller-side fixtures: a private moto server per test session, and the collection
as its users get it (the built tarball, installed into an empty collections path)."""

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

MOTO_SERVER = Path(sys.executable).with_name("moto_server")


def _free_port() -> int:
    with contextlib.closing(socket.socket()) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _alive(url: str) -> bool:
    with contextlib.suppress(OSError), urllib.request.urlopen(f"{url}/moto-api/", timeout=2):  # noqa: S310 - loopback http
        return True
    return False


@pytest.fixture(scope="session")
def moto_endpoint(tmp_path_factory):
    """URL of a moto_server on a free loopback port, killed at teardown.

    moto's request recorder is available (off until a test POSTs
    /moto-api/recorder/start-recording), so tests can count the API calls a run makes.
    """
    if not MOTO_SERVER.exists():
        pytest.skip(f"{MOTO_SERVER} missing: run `make setup`")
    workdir = tmp_path_factory.mktemp("moto")
    port = _free_port()
    env = dict(os.environ, MOTO_ENABLE_RECORDING="", MOTO_RECORDER_FILEPATH=str(workdir / "rec"))
    log = (workdir / "moto.log").open("wb")
    proc = subprocess.Popen(
        [str(MOTO_SERVER), "-H", "127.0.0.1", "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while not _alive(url):
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"moto_server did not start; see {workdir / 'moto.log'}")
        time.sleep(0.2)
    try:
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


REPO = Path(__file__).resolve().parents[2]
GALAXY = Path(sys.executable).with_name("ansible-galaxy")


@pytest.fixture(scope="session")
def collection_tarball(tmp_path_factory):
    """The collection as `ansible-galaxy collection build` makes it from this checkout."""
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [str(GALAXY), "collection", "build", str(REPO), "--output-path", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    [tarball] = out.glob("federated-ssm_runas-*.tar.gz")
    return tarball


@pytest.fixture(scope="session")
def installed_collection(tmp_path_factory, collection_tarball):
    """(collections path, collection root) of the tarball installed as a user installs it.

    Galaxy is unreachable: --offline resolves galaxy.yml's dependencies against what is
    installed, i.e. the collections the venv's ansible wheel bundles.
    """
    path = tmp_path_factory.mktemp("collections")
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANSIBLE_")}
    done = subprocess.run(
        [
            str(GALAXY),
            "collection",
            "install",
            "--offline",
            str(collection_tarball),
            "-p",
            str(path),
        ],
        cwd=path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return path, path / "ansible_collections/federated/ssm_runas"
