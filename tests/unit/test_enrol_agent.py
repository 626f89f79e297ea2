"""The enroller's logic with the system scripted (enrol_agent.Host) and real temporary dirs for
its state file and bundles; its installed entry point (ENTRY) run as the script it becomes."""

# ruff: noqa: S105, S106 - secret_store/secret_name are names; SECRET is searched for in outputs.

import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from ansible_collections.federated.ssm_runas.plugins.module_utils import enrol_agent
from ansible_collections.federated.ssm_runas.plugins.module_utils.enrol_agent import (
    BACKOFF_FIRST,
    BACKOFF_MAX,
    CONFIG_FILE,
    NEEDS,
    PACKAGES,
    SECRET_FD_ENV,
    Retry,
    Stop,
)
from ansible_collections.federated.ssm_runas.plugins.plugin_utils import enrol_script

START = 1_760_000_000
SECRET = "Sup3r s3cret 'quoted' Ω"


def make_tar(entries):
    """A tar.gz of (name, kind, content-or-link-target) members."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w:gz") as tar:
        for name, kind, payload in entries:
            info = tarfile.TarInfo(name)
            if kind == "file":
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))
            elif kind == "symlink":
                info.type, info.linkname = tarfile.SYMTYPE, payload
                tar.addfile(info)
            elif kind == "hardlink":
                info.type, info.linkname = tarfile.LNKTYPE, payload
                tar.addfile(info)
            elif kind == "device":
                info.type = tarfile.CHRTYPE
                tar.addfile(info)
    return raw.getvalue()


BUNDLE = make_tar(
    [
        ("enrol/inventory.yml", "file", b"{}\n"),
        ("enrol/ansible.cfg", "file", b"[defaults]\n"),
        ("python/ansible/__init__.py", "file", b""),
    ]
)
SHA = hashlib.sha256(BUNDLE).hexdigest()
OTHER_SHA = "0" * 64


def settings(**changes):
    base = {
        "version": 1,
        "bucket": "enrol-bucket",
        "key": f"enrol/{SHA}.tar.gz",
        "sha256": SHA,
        "secret_store": "secretsmanager",
        "secret_name": "ssm-runas/join",
        "region": "eu-west-1",
        "retry_seconds": 1800,
    }
    base.update(changes)
    return base


def queue(items):
    """Take the next scripted answer; the last one repeats."""
    return items.pop(0) if len(items) > 1 else items[0]


class FakeHost:
    """The system, scripted: every call is recorded; time moves only when the enroller sleeps
    (or by `work` seconds per S3 read, an attempt's own duration)."""

    def __init__(
        self,
        *,
        objects=(BUNDLE,),
        probes=("",),
        managers=("apt-get",),
        install_rc=(0,),
        playbook_rc=(0,),
        secrets=(SECRET,),
        python=(3, 12),
        work=0,
        state_file=None,
    ):
        self.objects = list(objects)
        self.probes = list(probes)
        self.managers = managers
        self.install_rc = list(install_rc)
        self.playbook_rc = list(playbook_rc)
        self.secrets = list(secrets)
        self.work = work
        self.state_file = state_file
        self.clock = START
        self.calls = []  # (name, args, kwargs) in order
        self.sleeps = []  # (clock before, seconds)
        self.states_while_sleeping = []
        self.logs = []
        self.host = enrol_agent.Host(
            run=self.run,
            get_object=self.get_object,
            get_secret=self.get_secret,
            now=lambda: self.clock,
            sleep=self.sleep,
            log=lambda level, message: self.logs.append((level, message)),
            which=lambda name: f"/usr/bin/{name}" if name in self.managers else None,
            python=python,
        )

    def run(self, argv, env=None, secret=None):
        self.calls.append(("run", (list(argv),), {"env": env, "secret": secret}))
        if argv[:2] == ["python3", "-c"]:
            answer = queue(self.probes)
            return (1, "Traceback: boom\n") if answer is None else (0, answer + "\n")
        if argv[0] in ("apt-get", "dnf"):
            rc = queue(self.install_rc)
            return rc, "E: Could not get lock /var/lib/dpkg/lock\n" if rc else ""
        if argv[1:3] == ["-m", "ansible.cli.playbook"]:
            answer = queue(self.playbook_rc)  # rc, or (rc, output)
            return answer if isinstance(answer, tuple) else (answer, "")
        raise AssertionError(f"unexpected command {argv}")

    def get_object(self, bucket, key, region):
        self.calls.append(("get_object", (bucket, key, region), {}))
        self.clock += self.work
        answer = queue(self.objects)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def get_secret(self, store, name, region):
        self.calls.append(("get_secret", (store, name, region), {}))
        answer = queue(self.secrets)
        if isinstance(answer, Exception):
            raise answer
        return answer

    def sleep(self, seconds):
        self.sleeps.append((self.clock, seconds))
        if self.state_file is not None:
            path = Path(self.state_file)
            self.states_while_sleeping.append(
                json.loads(path.read_text()) if path.exists() else None
            )
        self.clock += seconds

    def named(self, name):
        return [c for c in self.calls if c[0] == name]

    def runs(self):
        return [c[1][0] for c in self.named("run")]

    def playbook_calls(self):
        return [c for c in self.named("run") if c[1][0][1:3] == ["-m", "ansible.cli.playbook"]]


@pytest.fixture
def paths(tmp_path):
    return {"state_file": str(tmp_path / "state" / "enrolled.json"), "root": str(tmp_path / "b")}


def read_state(paths):
    return json.loads(Path(paths["state_file"]).read_text())


def utc(offset=0):
    return enrol_agent.utc(START + offset)


# load_config


def test_a_good_config_is_returned_as_is():
    assert enrol_agent.load_config(json.dumps(settings())) == settings()


def test_the_launch_scripts_own_config_is_good():
    made = enrol_script.config(
        bucket="b", key="k", sha256=SHA, secret_store="ssm", secret_name="n", region="r"
    )
    assert enrol_agent.load_config(json.dumps(made)) == made


@pytest.mark.parametrize("key", sorted(enrol_agent.CONFIG_KEYS))
def test_a_missing_key_stops_naming_it(key):
    config = settings()
    del config[key]
    kind = enrol_agent.CONFIG_KEYS[key].__name__
    with pytest.raises(Stop, match=rf"lacks or mistypes: {key} \({kind}\)$"):
        enrol_agent.load_config(json.dumps(config))


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("version", "1"),
        ("version", True),
        ("version", 1.0),
        ("retry_seconds", "1800"),
        ("retry_seconds", True),
        ("retry_seconds", False),
        ("retry_seconds", 1.5),
        ("retry_seconds", None),
        ("bucket", 1),
        ("bucket", None),
        ("key", ["k"]),
        ("sha256", 12),
        ("secret_store", True),
        ("secret_name", {"name": "x"}),
        ("region", 1),
    ],
)
def test_a_mistyped_key_stops_naming_it(key, value):
    kind = enrol_agent.CONFIG_KEYS[key].__name__
    with pytest.raises(Stop, match=rf"lacks or mistypes: {key} \({kind}\)$"):
        enrol_agent.load_config(json.dumps(settings(**{key: value})))


def test_every_bad_key_is_named_at_once():
    config = settings(bucket=None, retry_seconds="9")
    del config["region"]
    with pytest.raises(Stop, match=r"bucket \(str\), region \(str\), retry_seconds \(int\)$"):
        enrol_agent.load_config(json.dumps(config))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{", f"{CONFIG_FILE} is not JSON"),
        ("", f"{CONFIG_FILE} is not JSON"),
        ("[]", "a JSON object expected"),
        ('"x"', "a JSON object expected"),
        (json.dumps(settings(version=2)), "has version 2; this enroller reads version 1"),
        (json.dumps(settings(version=0)), "has version 0; this enroller reads version 1"),
        (json.dumps(settings(sha256=SHA.upper())), "is not 64 lower-case hex digits"),
        (json.dumps(settings(sha256=SHA[:63])), "is not 64 lower-case hex digits"),
        (json.dumps(settings(sha256=SHA + "0")), "is not 64 lower-case hex digits"),
        (json.dumps(settings(sha256=SHA[:30] + "g" + SHA[31:])), "is not 64 lower-case hex"),
        (json.dumps(settings(sha256=" " + SHA[1:])), "is not 64 lower-case hex digits"),
        (json.dumps(settings(sha256="")), "is not 64 lower-case hex digits"),
        (json.dumps(settings(secret_store="vault")), "secret_store 'vault' is not"),
        (json.dumps(settings(secret_store="SSM")), "secret_store 'SSM' is not"),
    ],
)
def test_a_bad_config_stops_naming_the_problem(text, message):
    with pytest.raises(Stop) as caught:
        enrol_agent.load_config(text)
    assert message in str(caught.value)


@pytest.mark.parametrize("store", ["secretsmanager", "ssm"])
def test_both_secret_stores_are_accepted(store):
    assert (
        enrol_agent.load_config(json.dumps(settings(secret_store=store)))["secret_store"] == store
    )


# check_python


@pytest.mark.parametrize("version", [(3, 11), (3, 6), (2, 7), (3, 11, 2, "final", 0)])
def test_an_old_python_stops_with_what_it_needs(version):
    with pytest.raises(Stop) as caught:
        enrol_agent.check_python(version)
    assert str(caught.value).startswith(
        f"python3 is {version[0]}.{version[1]}; the bundle's ansible-core needs 3.12 or later"
    )


@pytest.mark.parametrize("version", [(3, 12), (3, 13), (3, 12, 1, "final", 0), (4, 0)])
def test_a_new_enough_python_passes(version):
    enrol_agent.check_python(version)


# install_packages


def test_nothing_missing_installs_nothing():
    fake = FakeHost(probes=[""])
    assert enrol_agent.install_packages(fake.host) is False
    (argv,) = fake.runs()
    assert argv[:2] == ["python3", "-c"]
    assert argv[3:] == list(NEEDS)


def test_missing_modules_with_apt_get_update_then_install_exactly_the_packages():
    fake = FakeHost(probes=["boto3 resolvelib", ""], managers=("apt-get", "dnf"))
    assert enrol_agent.install_packages(fake.host) is True
    runs = fake.named("run")
    assert [c[1][0][:2] for c in runs] == [
        ["python3", "-c"],
        ["apt-get", "update"],
        ["apt-get", "install"],
        ["python3", "-c"],
    ]
    assert runs[1][1][0] == ["apt-get", "update", "-qq"]
    assert runs[2][1][0] == [
        "apt-get",
        "install",
        "-y",
        "-qq",
        "--no-install-recommends",
        *PACKAGES["apt-get"],
    ]
    for call in runs[1:3]:
        assert call[2]["env"] == {"DEBIAN_FRONTEND": "noninteractive"}
        assert call[2]["secret"] is None


def test_missing_modules_with_dnf_install_its_packages():
    fake = FakeHost(probes=["yaml", ""], managers=("dnf",))
    assert enrol_agent.install_packages(fake.host) is True
    assert fake.runs()[1] == ["dnf", "install", "-y", "-q", *PACKAGES["dnf"]]
    assert len(fake.runs()) == 3


@pytest.mark.parametrize("manager", sorted(PACKAGES))
def test_each_manager_has_one_package_per_needed_module(manager):
    assert len(PACKAGES[manager]) == len(NEEDS)
    assert all(p.startswith("python3-") for p in PACKAGES[manager])


def test_no_package_manager_stops_naming_what_is_missing():
    fake = FakeHost(probes=["boto3 yaml"], managers=())
    with pytest.raises(Stop, match="python3 lacks boto3 yaml and neither apt-get nor dnf is here"):
        enrol_agent.install_packages(fake.host)
    assert len(fake.runs()) == 1


@pytest.mark.parametrize(
    ("manager", "rcs", "failed", "ran"),
    [
        ("apt-get", [100], "apt-get update failed (rc 100)", 2),
        ("apt-get", [0, 100], "apt-get install failed (rc 100)", 3),
        ("dnf", [1], "dnf install failed (rc 1)", 2),
    ],
)
def test_an_install_failure_is_worth_a_retry(manager, rcs, failed, ran):
    fake = FakeHost(probes=["boto3"], managers=(manager,), install_rc=rcs)
    with pytest.raises(Retry) as caught:
        enrol_agent.install_packages(fake.host)
    assert str(caught.value).startswith(failed)
    assert "Could not get lock" in str(caught.value)
    assert len(fake.runs()) == ran  # nothing after the failed step, no second probe


def test_still_missing_after_installing_stops():
    fake = FakeHost(probes=["boto3 yaml", "yaml"])
    with pytest.raises(Stop, match=r"after installing, python3 still cannot import yaml$"):
        enrol_agent.install_packages(fake.host)


def test_a_probe_that_cannot_run_stops():
    fake = FakeHost(probes=[None])
    with pytest.raises(Stop, match="python3 cannot check its modules: Traceback: boom"):
        enrol_agent.install_packages(fake.host)


# verify and unpack


def test_verify_names_both_hashes_on_a_mismatch():
    other = b"another bundle"
    with pytest.raises(Stop) as caught:
        enrol_agent.verify(other, SHA)
    message = str(caught.value)
    assert hashlib.sha256(other).hexdigest() in message
    assert SHA in message
    enrol_agent.verify(BUNDLE, SHA)


def test_unpack_lands_whole_in_root_sha_marked_complete(tmp_path):
    root = tmp_path / "bundles"
    dest = enrol_agent.unpack(BUNDLE, SHA, str(root))
    assert dest == str(root / SHA)
    assert sorted(os.listdir(root)) == [SHA]
    assert (root / SHA / ".complete").read_text() == SHA + "\n"
    assert (root / SHA / "enrol" / "inventory.yml").read_text() == "{}\n"
    assert (root / SHA / "python" / "ansible" / "__init__.py").is_file()
    assert enrol_agent.have_bundle(SHA, str(root))


def test_a_second_unpack_is_a_no_op(tmp_path):
    root = str(tmp_path)
    dest = Path(enrol_agent.unpack(BUNDLE, SHA, root))
    (dest / "enrol" / "inventory.yml").write_text("changed since\n")
    # Not even read: the bytes could be anything.
    assert enrol_agent.unpack(b"not a tar", SHA, root) == str(dest)
    assert (dest / "enrol" / "inventory.yml").read_text() == "changed since\n"
    assert sorted(os.listdir(root)) == [SHA]


def test_an_incomplete_earlier_unpack_is_replaced_whole(tmp_path):
    stale = tmp_path / SHA
    stale.mkdir()
    (stale / "left-over").write_text("x")
    (tmp_path / f"{SHA}.partial-{os.getpid()}").mkdir()
    enrol_agent.unpack(BUNDLE, SHA, str(tmp_path))
    assert not (stale / "left-over").exists()
    assert (stale / ".complete").is_file()
    assert sorted(os.listdir(tmp_path)) == [SHA]


GOOD_FIRST = ("enrol/inventory.yml", "file", b"{}\n")


def evil_tars(outside):
    """Each tar has a good member first, so a refusal comes after something was written."""
    return {
        "dot-dot": [GOOD_FIRST, ("../evil", "file", b"x")],
        "dot-dot-deep": [GOOD_FIRST, ("a/../../../evil", "file", b"x")],
        "absolute": [GOOD_FIRST, (str(outside / "absolute-evil"), "file", b"x")],
        "symlink-absolute": [GOOD_FIRST, ("link", "symlink", str(outside))],
        "symlink-out": [GOOD_FIRST, ("link", "symlink", "../../../outside")],
        "symlink-then-write": [GOOD_FIRST, ("d", "symlink", "../.."), ("d/evil", "file", b"x")],
        "hardlink-absolute": [GOOD_FIRST, ("h", "hardlink", "/etc/passwd")],
        "device": [GOOD_FIRST, ("dev", "device", None)],
    }


@pytest.mark.parametrize("case", sorted(evil_tars(Path("/x"))))
def test_a_tar_reaching_outside_is_refused_and_leaves_nothing(tmp_path, case):
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "root"
    data = make_tar(evil_tars(outside)[case])
    sha = hashlib.sha256(data).hexdigest()
    with pytest.raises(Stop, match=f"the bundle {sha[:12]} cannot be unpacked: "):
        enrol_agent.unpack(data, sha, str(root))
    everything = sorted(str(p.relative_to(tmp_path)) for p in tmp_path.rglob("*"))
    assert everything == ["outside", "root"]  # no root/<sha>, no .partial-<pid>, nothing else


@pytest.mark.parametrize(
    "data",
    [b"not a gzip", BUNDLE[: len(BUNDLE) // 2]],
    ids=["garbage", "truncated"],
)
def test_a_bundle_that_is_not_a_tar_gz_stops_and_leaves_nothing(tmp_path, data):
    sha = hashlib.sha256(data).hexdigest()
    with pytest.raises(Stop, match="cannot be unpacked"):
        enrol_agent.unpack(data, sha, str(tmp_path))
    assert os.listdir(tmp_path) == []


def test_an_unpack_failing_otherwise_leaves_no_partial_dir(tmp_path, monkeypatch):
    extract = tarfile.TarFile.extractall

    def full(self, path, **kwargs):
        extract(self, path, **kwargs)  # some of it is written, then the disk is full
        assert os.listdir(path)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(tarfile.TarFile, "extractall", full)
    with pytest.raises(OSError, match="No space left"):
        enrol_agent.unpack(BUNDLE, SHA, str(tmp_path))
    assert os.listdir(tmp_path) == []


# enrol


def test_success_at_the_first_try_writes_converged(paths):
    fake = FakeHost(state_file=paths["state_file"])
    assert enrol_agent.enrol(settings(), fake.host, **paths) == 0
    assert read_state(paths) == {
        "version": 1,
        "bundle_sha256": SHA,
        "bundle_key": f"enrol/{SHA}.tar.gz",
        "enrolled_at": utc(),
        "last_attempt_at": utc(),
        "result": "converged",
        "attempts": 1,
    }
    assert fake.sleeps == []
    assert [c[1] for c in fake.named("get_object")] == [
        ("enrol-bucket", f"enrol/{SHA}.tar.gz", "eu-west-1")
    ]
    assert [c[1] for c in fake.named("get_secret")] == [
        ("secretsmanager", "ssm-runas/join", "eu-west-1")
    ]
    (playbook,) = fake.playbook_calls()
    argv, env = enrol_agent.playbook_run(os.path.join(paths["root"], SHA))
    assert playbook[1] == (argv,)
    assert playbook[2] == {"env": env, "secret": SECRET}
    assert (5, f"enrolled from bundle {SHA[:12]} after 1 attempt(s)") in fake.logs
    assert os.path.isfile(os.path.join(paths["root"], SHA, ".complete"))


def test_s3_failing_twice_is_retried_with_backoff_then_converges(paths):
    boom = ConnectionError("endpoint unreachable")
    fake = FakeHost(objects=[boom, boom, BUNDLE], state_file=paths["state_file"])
    assert enrol_agent.enrol(settings(), fake.host, **paths) == 0
    assert [s for _, s in fake.sleeps] == [10, 20]
    reason = f"cannot read s3://enrol-bucket/enrol/{SHA}.tar.gz: endpoint unreachable"
    # Retried failures go to the journal only: a fresh instance has no state file meanwhile.
    assert fake.states_while_sleeping == [None, None]
    final = read_state(paths)
    assert (final["result"], final["attempts"]) == ("converged", 3)
    assert "reason" not in final
    assert final["enrolled_at"] == final["last_attempt_at"] == utc(30)
    assert (4, f"attempt 1: {reason}; next in 10s") in fake.logs
    assert (4, f"attempt 2: {reason}; next in 20s") in fake.logs
    assert len(fake.playbook_calls()) == 1


@pytest.mark.parametrize(
    ("retry_seconds", "sleeps"),
    [
        (0, []),
        (9, []),
        (10, [10]),
        (29, [10]),
        (30, [10, 20]),
        (1000, [10, 20, 40, 80, 160, 300, 300]),
        (3000, [10, 20, 40, 80, 160, *[BACKOFF_MAX] * 8]),
    ],
)
def test_the_backoff_doubles_is_capped_and_stops_at_the_deadline(paths, retry_seconds, sleeps):
    fake = FakeHost(objects=[TimeoutError("read timed out")], state_file=paths["state_file"])
    assert enrol_agent.enrol(settings(retry_seconds=retry_seconds), fake.host, **paths) == 1
    assert [s for _, s in fake.sleeps] == sleeps
    state = read_state(paths)
    assert state["result"] == "failed"
    assert state["attempts"] == len(sleeps) + 1
    assert state["reason"].endswith(": read timed out")
    assert state["enrolled_at"] is None
    assert fake.logs[-1][0] == 3
    assert fake.logs[-1][1].startswith(f"not enrolled: {state['reason']}")


@pytest.mark.parametrize(("retry_seconds", "work"), [(100, 7), (1800, 45), (61, 30), (5, 60)])
def test_no_sleep_ends_past_the_deadline_when_attempts_take_time(paths, retry_seconds, work):
    fake = FakeHost(objects=[TimeoutError("slow")], work=work)
    deadline = START + retry_seconds
    assert enrol_agent.enrol(settings(retry_seconds=retry_seconds), fake.host, **paths) == 1
    assert all(before + seconds <= deadline for before, seconds in fake.sleeps)
    # and it gave up only when the next wait would have crossed the deadline
    next_delay = min(BACKOFF_FIRST * 2 ** len(fake.sleeps), BACKOFF_MAX)
    assert fake.clock + next_delay > deadline


def test_a_bundle_with_another_hash_stops_at_once(paths):
    tampered = make_tar([("enrol/inventory.yml", "file", b"{evil: true}\n")])
    fake = FakeHost(objects=[tampered], state_file=paths["state_file"])
    assert enrol_agent.enrol(settings(), fake.host, **paths) == 1
    assert fake.sleeps == []
    assert len(fake.named("get_object")) == 1
    assert fake.named("get_secret") == []
    assert fake.playbook_calls() == []
    state = read_state(paths)
    assert (state["result"], state["attempts"]) == ("failed", 1)
    assert hashlib.sha256(tampered).hexdigest() in state["reason"]
    assert SHA in state["reason"]
    assert not os.path.exists(paths["root"])  # nothing of it was unpacked


def test_a_verified_bundle_reaching_outside_stops_at_once(paths):
    data = make_tar([GOOD_FIRST, ("../../evil", "file", b"x")])
    sha = hashlib.sha256(data).hexdigest()
    fake = FakeHost(objects=[data], state_file=paths["state_file"])
    assert enrol_agent.enrol(settings(sha256=sha), fake.host, **paths) == 1
    assert fake.sleeps == []
    assert fake.playbook_calls() == []
    state = read_state(paths)
    assert state["result"] == "failed"
    assert state["reason"].startswith(f"the bundle {sha[:12]} cannot be unpacked")
    assert os.listdir(paths["root"]) == []
    assert not (Path(paths["root"]).parent / "evil").exists()


def test_a_failing_playbook_is_retried_without_fetching_again(paths):
    fake = FakeHost(playbook_rc=[2, 0], state_file=paths["state_file"])
    assert enrol_agent.enrol(settings(), fake.host, **paths) == 0
    assert [s for _, s in fake.sleeps] == [10]
    assert any(m.startswith("attempt 1: the enrol playbook failed (rc 2)") for _, m in fake.logs)
    assert len(fake.playbook_calls()) == 2
    assert len(fake.named("get_object")) == 1
    assert len(fake.named("get_secret")) == 2  # read afresh for each run
    assert read_state(paths)["attempts"] == 2


def test_a_secret_store_failure_is_retried(paths):
    fake = FakeHost(secrets=[RuntimeError("AccessDenied"), SECRET])
    assert enrol_agent.enrol(settings(), fake.host, **paths) == 0
    assert [s for _, s in fake.sleeps] == [10]
    assert (
        4,
        "attempt 1: cannot read the join secret ssm-runas/join: AccessDenied; next in 10s",
    ) in (fake.logs)


def test_an_old_python_stops_before_touching_anything(paths):
    fake = FakeHost(python=(3, 11))
    assert enrol_agent.enrol(settings(), fake.host, **paths) == 1
    assert fake.calls == []
    assert read_state(paths)["reason"].startswith("python3 is 3.11;")


def test_the_secret_goes_only_to_the_playbook_run_as_the_secret_argument(paths):
    fake = FakeHost(
        probes=["boto3", ""],
        install_rc=[0],
        playbook_rc=[1, 0],
        state_file=paths["state_file"],
    )
    assert enrol_agent.enrol(settings(), fake.host, **paths) == 0
    given = [c for c in fake.named("run") if c[2]["secret"] is not None]
    assert given == fake.playbook_calls()
    assert len(given) == 2
    assert all(c[2]["secret"] == SECRET for c in given)
    public = [
        repr(c[1]) + repr({k: v for k, v in c[2].items() if k != "secret"}) for c in fake.calls
    ]
    public += [message for _, message in fake.logs]
    public += [json.dumps(s) for s in fake.states_while_sleeping]
    public.append(Path(paths["state_file"]).read_text())
    for text in public:
        assert SECRET not in text
        assert json.dumps(SECRET) not in text
        assert "s3cret" not in text


def test_the_secret_stays_out_when_the_playbook_never_succeeds(paths):
    fake = FakeHost(playbook_rc=[4], state_file=paths["state_file"])
    assert enrol_agent.enrol(settings(retry_seconds=40), fake.host, **paths) == 1
    assert "s3cret" not in Path(paths["state_file"]).read_text()
    assert all("s3cret" not in message for _, message in fake.logs)


@pytest.mark.parametrize(
    ("previous_sha", "kept"),
    [(SHA, "2025-01-02T03:04:05Z"), (OTHER_SHA, None)],
    ids=["same-bundle", "another-bundle"],
)
def test_enrolled_at_survives_a_failure_only_for_the_same_bundle(paths, previous_sha, kept):
    enrol_agent.write_state(
        {
            "version": 1,
            "bundle_sha256": previous_sha,
            "result": "converged",
            "enrolled_at": "2025-01-02T03:04:05Z",
        },
        paths["state_file"],
    )
    fake = FakeHost(playbook_rc=[1])
    assert enrol_agent.enrol(settings(retry_seconds=0), fake.host, **paths) == 1
    state = read_state(paths)
    assert state["result"] == "failed"
    assert state["enrolled_at"] == kept
    assert state["bundle_sha256"] == SHA


@pytest.mark.parametrize("text", ["not json", "[1, 2]", ""])
def test_an_unreadable_previous_state_is_ignored(paths, text):
    Path(paths["state_file"]).parent.mkdir(parents=True)
    Path(paths["state_file"]).write_text(text)
    assert enrol_agent.enrol(settings(), FakeHost().host, **paths) == 0
    assert read_state(paths)["result"] == "converged"


def test_a_bundle_already_unpacked_is_not_fetched_again(paths):
    enrol_agent.unpack(BUNDLE, SHA, paths["root"])
    fake = FakeHost(objects=[AssertionError("fetched again")])
    assert enrol_agent.enrol(settings(), fake.host, **paths) == 0
    assert fake.named("get_object") == []
    assert (6, f"bundle {SHA[:12]} is here already") in fake.logs


def test_the_state_file_is_replaced_whole_and_readable(paths):
    enrol_agent.enrol(settings(), FakeHost().host, **paths)
    state_dir = Path(paths["state_file"]).parent
    assert os.listdir(state_dir) == ["enrolled.json"]  # no temp file left
    assert oct(os.stat(paths["state_file"]).st_mode & 0o777) == "0o644"


# playbook_run


def test_the_playbook_runs_from_the_bundle_with_nothing_secret(tmp_path):
    bundle = str(tmp_path / SHA)
    argv, env = enrol_agent.playbook_run(bundle)
    assert argv == [
        "python3",
        "-m",
        "ansible.cli.playbook",
        "-i",
        f"{bundle}/enrol/inventory.yml",
        "federated.ssm_runas.enrol",
    ]
    assert env["PYTHONPATH"] == f"{bundle}/python"
    assert env["ANSIBLE_CONFIG"] == f"{bundle}/enrol/ansible.cfg"
    assert env["ANSIBLE_COLLECTIONS_PATH"] == f"{bundle}/collections"
    assert SECRET_FD_ENV not in env
    assert not [k for k in env if any(w in k for w in ("PASSWORD", "SECRET", "TOKEN"))]
    assert enrol_agent.playbook_run(bundle, python="/usr/bin/python3")[0][0] == "/usr/bin/python3"


# ENTRY: the installed script


def test_the_installed_script_compiles():
    compile(enrol_script.agent_text(), enrol_agent.SCRIPT_FILE, "exec")


def pythons():
    found = [sys.executable]
    # The instance's python3 may be older than the bundle needs: the script must still say so.
    if os.path.exists("/usr/bin/python3"):
        found.append("/usr/bin/python3")
    return found


def run_script(tmp_path, python, *args, journal=False):
    script = tmp_path / "enrol.py"
    script.write_text(enrol_script.agent_text())
    env = {k: v for k, v in os.environ.items() if k != "JOURNAL_STREAM"}
    if journal:
        env["JOURNAL_STREAM"] = "8:12345"
    return subprocess.run(
        [python, str(script), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("python", pythons())
def test_the_script_without_arguments_prints_its_usage(tmp_path, python):
    done = run_script(tmp_path, python)
    assert (done.returncode, done.stdout, done.stderr) == (2, "usage: enrol.py <config.json>\n", "")


def test_the_script_under_systemd_prefixes_the_journal_level(tmp_path):
    done = run_script(tmp_path, sys.executable, journal=True)
    assert (done.returncode, done.stdout) == (2, "<3>usage: enrol.py <config.json>\n")


@pytest.mark.parametrize("python", pythons())
def test_the_script_with_a_missing_config_is_not_enrolled(tmp_path, python):
    missing = tmp_path / "no-such" / "config.json"
    done = run_script(tmp_path, python, str(missing))
    assert done.returncode == 1, done.stderr
    assert done.stdout.startswith("not enrolled: ")
    assert str(missing) in done.stdout
    assert done.stderr == ""


def test_the_script_with_a_bad_config_is_not_enrolled(tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps(settings(version=7)))
    done = run_script(tmp_path, sys.executable, str(config))
    assert done.returncode == 1
    assert done.stdout == (
        f"not enrolled: {CONFIG_FILE} has version 7; this enroller reads version 1\n"
    )


@pytest.fixture
def entry_host(monkeypatch):
    """The Host the installed script builds, taken from its own text in place of main()."""
    monkeypatch.delenv("JOURNAL_STREAM", raising=False)
    text = enrol_script.agent_text()
    assert text.endswith(enrol_agent.ENTRY)
    namespace = {"__name__": "__main__"}
    exec(compile(text[: -len(enrol_agent.ENTRY)], "enrol.py", "exec"), namespace)  # noqa: S102 - the script's own text
    built = []
    namespace["main"] = lambda argv, host: built.append(host) or 0
    with pytest.raises(SystemExit) as exited:
        exec(compile(enrol_agent.ENTRY, "enrol.py", "exec"), namespace)  # noqa: S102 - the script's own text
    assert exited.value.code == 0
    return built[0]


def test_the_scripts_run_captures_output_without_a_secret(entry_host):
    rc, out = entry_host.run(["sh", "-c", "echo out; echo err >&2; exit 3"], env={"X": "1"})
    assert (rc, out) == (3, "out\nerr\n")
    assert entry_host.run(["sh", "-c", 'printf %s "$X"'], env={"X": "set"}) == (0, "set")


def test_the_scripts_run_hands_the_secret_over_in_a_memfd_only(entry_host, tmp_path):
    report = tmp_path / "child.json"
    child = (
        "import json, os, sys\n"
        f"raw = os.environ['{SECRET_FD_ENV}']\n"
        "fd = int(raw)\n"
        "json.dump({'fd': fd, 'link': os.readlink(f'/proc/self/fd/{fd}'),\n"
        "    'value': json.loads(os.pread(fd, 65536, 0)),\n"
        "    'again': json.loads(os.pread(fd, 65536, 0)),\n"
        "    'argv': sys.argv, 'env': dict(os.environ)}, open(sys.argv[1], 'w'))\n"
    )
    rc, out = entry_host.run([sys.executable, "-c", child, str(report)], secret=SECRET)
    fd = json.loads(report.read_text())["fd"]
    with pytest.raises(OSError):  # closed in the enroller once the run is over
        os.fstat(fd)
    assert (rc, out) == (0, "")
    seen = json.loads(report.read_text())
    assert seen["value"] == seen["again"] == SECRET
    assert seen["link"].startswith("/memfd:ssm-runas-join")
    assert SECRET not in json.dumps(seen["argv"])
    assert [k for k, v in seen["env"].items() if SECRET in v or "s3cret" in v] == []


def test_the_scripts_host_is_the_real_system(entry_host):
    assert entry_host.python == tuple(sys.version_info[:2])
    assert entry_host.which("sh")
    assert entry_host.which("no-such-program-here") is None


# What the join task reports when the DC refuses the account (adcli's words, as realm passes
# them on, behind the role's "A failed join is reported with realm's own words" task).
REFUSALS = [
    "! Couldn't authenticate as: Administrator@EXAMPLE.TEST: Preauthentication failed\n"
    "realm: Couldn't join realm: Couldn't authenticate as: Administrator@EXAMPLE.TEST: "
    "Preauthentication failed",
    "realm: Couldn't join realm: Couldn't authenticate as: join@CORP.EXAMPLE.ORG: "
    "Client's credentials have been revoked",
    "realm: Couldn't join realm: Insufficient permissions to join the domain",
    "Couldn't authenticate as: svc-join@CORP: Password has expired",
]


@pytest.mark.parametrize("words", REFUSALS)
def test_a_refused_join_account_stops_at_once_so_it_is_not_locked_out(paths, words):
    fake = FakeHost(playbook_rc=[(2, f"TASK [x] ***\nfatal: [localhost]: FAILED! => {words}\n")])
    assert enrol_agent.enrol(settings(retry_seconds=3000), fake.host, **paths) == 1
    assert fake.sleeps == []
    assert len(fake.playbook_calls()) == 1
    final = read_state(paths)
    assert final["result"] == "failed"
    assert final["reason"].startswith("the DC refused the join account (")
    assert "not retrying" in final["reason"] and SECRET not in json.dumps(final)


def test_an_outage_that_mentions_no_refusal_is_retried(paths):
    fake = FakeHost(playbook_rc=[(2, "realm: No such realm found: example.test\n"), 0])
    assert enrol_agent.enrol(settings(), fake.host, **paths) == 0
    assert [s for _, s in fake.sleeps] == [10]
