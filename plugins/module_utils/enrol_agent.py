# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The enroller a new instance runs at launch: the collection's Linux side, run by the instance.

The launch script (plugin_utils/enrol_script.py) installs this file verbatim with its entry
point (ENTRY) as a oneshot systemd service. Each run: the packages the bundle's ansible-core
needs come from the instance's own repositories; the bundle comes from S3 and must have the
SHA-256 it was reviewed with (its key is that hash); the join secret is read with the
instance's own role and handed to ansible-playbook in memory only (a memfd whose number is in
the environment, read by the inherited_secret lookup); ansible-playbook runs the collection's
enrol playbook on this host. A failure that may pass (network, DC, AWS) is retried with
backoff until a deadline; what cannot pass (a bundle with another hash, an old Python, a bad
configuration) stops at once. Every outcome is written to STATE_FILE, which the probe reads.

Everything that touches the system is passed in (``Host``), so the logic is tested as is.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import hashlib
import io
import json
import os
import shutil
import tarfile
import time
import zlib
from collections import namedtuple

SERVICE = "ssm-runas-enrol.service"
CONFIG_FILE = "/etc/ssm-runas-enrol/config.json"
SCRIPT_FILE = "/usr/local/libexec/ssm-runas-enrol/enrol.py"
STATE_DIR = "/var/lib/ssm-runas-enrol"
STATE_FILE = STATE_DIR + "/enrolled.json"
BUNDLE_DIR = STATE_DIR + "/bundles"
SECRET_FD_ENV = "SSM_RUNAS_SECRET_FD"  # noqa: S105 - a variable name, not a secret
STATE_VERSION = 1
CONFIG_VERSION = 1
# ansible-core 2.21, which the bundle carries, runs on Python 3.12 or later.
MIN_PYTHON = (3, 12)
# What the bundle's ansible-core and the AWS calls import, and the packages that hold them.
NEEDS = ("boto3", "jinja2", "yaml", "cryptography", "packaging", "resolvelib")
PACKAGES = {
    "apt-get": (
        "python3-boto3",
        "python3-jinja2",
        "python3-yaml",
        "python3-cryptography",
        "python3-packaging",
        "python3-resolvelib",
    ),
    "dnf": (
        "python3-boto3",
        "python3-jinja2",
        "python3-pyyaml",
        "python3-cryptography",
        "python3-packaging",
        "python3-resolvelib",
    ),
}
# What adcli and realm print when the DC refuses the join account itself (adcli's library,
# adconn.c, passes Kerberos' own messages on; realmd's service/realm-adcli-enroll.c its
# "Insufficient permissions"). No retry mends these, and each retry is another failed logon
# that an account lockout policy counts, for every new instance at once.
REFUSED = (
    "Preauthentication failed",
    "Password incorrect",
    "Password has expired",
    "credentials have been revoked",
    "Insufficient permissions to join the domain",
)
BACKOFF_FIRST = 10
BACKOFF_MAX = 300
CONFIG_KEYS = {
    "version": int,
    "bucket": str,
    "key": str,
    "sha256": str,
    "secret_store": str,
    "secret_name": str,
    "region": str,
    "retry_seconds": int,
}

# What the enroller needs from the system: run(argv, env=None, secret=None) -> (rc, output);
# get_object(bucket, key, region) -> bytes; get_secret(store, name, region) -> str; now() ->
# epoch seconds; sleep(seconds); log(level, message); which(name) -> path or None;
# python -> (major, minor) of the interpreter the service runs.
Host = namedtuple("Host", "run get_object get_secret now sleep log which python")


class Stop(Exception):
    """A failure no retry can mend."""


class Retry(Exception):
    """A failure that may pass: the network, AWS or the DC."""


def load_config(text):
    try:
        config = json.loads(text)
    except ValueError as exc:
        raise Stop("%s is not JSON: %s" % (CONFIG_FILE, exc)) from None
    if not isinstance(config, dict):
        raise Stop("%s: a JSON object expected" % CONFIG_FILE)
    problems = []
    for key, kind in sorted(CONFIG_KEYS.items()):
        if not isinstance(config.get(key), kind) or isinstance(config.get(key), bool):
            problems.append("%s (%s)" % (key, kind.__name__))
    if problems:
        raise Stop("%s lacks or mistypes: %s" % (CONFIG_FILE, ", ".join(problems)))
    if config["version"] != CONFIG_VERSION:
        raise Stop(
            "%s has version %s; this enroller reads version %s"
            % (CONFIG_FILE, config["version"], CONFIG_VERSION)
        )
    sha = config["sha256"]
    if len(sha) != 64 or sha.strip("0123456789abcdef"):
        raise Stop("%s: sha256 %r is not 64 lower-case hex digits" % (CONFIG_FILE, sha))
    if config["secret_store"] not in ("secretsmanager", "ssm"):
        raise Stop(
            "%s: secret_store %r is not secretsmanager or ssm"
            % (CONFIG_FILE, config["secret_store"])
        )
    return config


def check_python(version):
    if tuple(version[:2]) < MIN_PYTHON:
        raise Stop(
            "python3 is %d.%d; the bundle's ansible-core needs %d.%d or later "
            "(Debian 13, Ubuntu 24.04, RHEL 10 and later have it)"
            % (tuple(version[:2]) + MIN_PYTHON)
        )


def missing_imports(host):
    """The modules of NEEDS the service's python3 cannot import."""
    probe = (
        "import importlib.util, sys; "
        "print(' '.join(m for m in sys.argv[1:] if importlib.util.find_spec(m) is None))"
    )
    rc, out = host.run(["python3", "-c", probe, *NEEDS])
    if rc != 0:
        raise Stop("python3 cannot check its modules: %s" % out.strip())
    return out.split()


def install_packages(host):
    """Install what is missing from the instance's own repositories; nothing when all is there."""
    missing = missing_imports(host)
    if not missing:
        return False
    manager = next((m for m in ("apt-get", "dnf") if host.which(m)), None)
    if manager is None:
        raise Stop("python3 lacks %s and neither apt-get nor dnf is here" % " ".join(missing))
    host.log(6, "installing %s for %s" % (" ".join(PACKAGES[manager]), " ".join(missing)))
    env = {"DEBIAN_FRONTEND": "noninteractive"}
    if manager == "apt-get":
        steps = [
            ["apt-get", "update", "-qq"],
            ["apt-get", "install", "-y", "-qq", "--no-install-recommends", *PACKAGES[manager]],
        ]
    else:
        steps = [["dnf", "install", "-y", "-q", *PACKAGES[manager]]]
    for argv in steps:
        rc, out = host.run(argv, env=env)
        if rc != 0:
            raise Retry("%s failed (rc %d): %s" % (" ".join(argv[:2]), rc, out.strip()[-400:]))
    still = missing_imports(host)
    if still:
        raise Stop("after installing, python3 still cannot import %s" % " ".join(still))
    return True


def bundle_path(sha, root=BUNDLE_DIR):
    return os.path.join(root, sha)


def have_bundle(sha, root=BUNDLE_DIR):
    return os.path.isfile(os.path.join(bundle_path(sha, root), ".complete"))


def verify(data, sha):
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha:
        raise Stop(
            "the bundle's SHA-256 is %s, not the %s this instance was launched with: "
            "not running it" % (actual, sha)
        )


def _bundle_member(member, path):
    """The data filter (no '..', no links out of the tree, no devices), absolute names refused.

    The data filter alone strips a leading '/' and extracts the rest; the builder writes none.
    """
    if member.name.startswith("/"):
        raise tarfile.AbsolutePathError(member)
    return tarfile.data_filter(member, path)


def unpack(data, sha, root=BUNDLE_DIR):
    """Extract a verified bundle to root/<sha>, whole or not at all (.complete marks it)."""
    dest = bundle_path(sha, root)
    if have_bundle(sha, root):
        return dest
    os.makedirs(root, mode=0o700, exist_ok=True)
    temp = "%s.partial-%d" % (dest, os.getpid())
    shutil.rmtree(temp, ignore_errors=True)
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            tar.extractall(temp, filter=_bundle_member)  # noqa: S202 - the data filter, stricter
        with open(os.path.join(temp, ".complete"), "w") as handle:
            handle.write(sha + "\n")
    except (tarfile.TarError, EOFError, zlib.error) as exc:
        shutil.rmtree(temp, ignore_errors=True)
        # The bytes are the reviewed ones (verified): another try would read the same.
        raise Stop("the bundle %s cannot be unpacked: %s" % (sha[:12], exc)) from None
    except BaseException:
        shutil.rmtree(temp, ignore_errors=True)
        raise
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(temp, dest)
    return dest


def playbook_run(bundle, python="python3"):
    """argv and environment of the enrol playbook from the bundle, on this host only."""
    argv = [
        python,
        "-m",
        "ansible.cli.playbook",
        "-i",
        os.path.join(bundle, "enrol", "inventory.yml"),
        "federated.ssm_runas.enrol",
    ]
    home = os.path.join(STATE_DIR, "ansible")
    env = {
        "PYTHONPATH": os.path.join(bundle, "python"),
        "ANSIBLE_CONFIG": os.path.join(bundle, "enrol", "ansible.cfg"),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(bundle, "collections"),
        "ANSIBLE_HOME": home,
        "ANSIBLE_LOCAL_TEMP": os.path.join(home, "tmp"),
        "ANSIBLE_NOCOLOR": "1",
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": "/root",
    }
    return argv, env


def utc(epoch):
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))


def previous_state(path=STATE_FILE):
    try:
        with open(path) as handle:
            state = json.load(handle)
        return state if isinstance(state, dict) else {}
    except (OSError, ValueError):
        return {}


def write_state(state, path=STATE_FILE):
    """Replace the state file whole (a temp file renamed over it), readable by the probe."""
    os.makedirs(os.path.dirname(path), mode=0o755, exist_ok=True)
    temp = "%s.%d.tmp" % (path, os.getpid())
    with open(temp, "w") as handle:
        os.fchmod(handle.fileno(), 0o644)
        json.dump(state, handle, indent=2, sort_keys=True)
        handle.write("\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.rename(temp, path)


def attempt(config, host, root=BUNDLE_DIR):
    """One enrolment attempt; raises Stop or Retry, returns when the host converged."""
    install_packages(host)
    sha = config["sha256"]
    if have_bundle(sha, root):
        host.log(6, "bundle %s is here already" % sha[:12])
    else:
        try:
            data = host.get_object(config["bucket"], config["key"], config["region"])
        # Any AWS or network error is worth a retry.
        except Exception as exc:
            raise Retry(
                "cannot read s3://%s/%s: %s" % (config["bucket"], config["key"], exc)
            ) from None
        verify(data, sha)
        unpack(data, sha, root)
        host.log(6, "bundle %s fetched and verified" % sha[:12])
    try:
        secret = host.get_secret(config["secret_store"], config["secret_name"], config["region"])
    except Exception as exc:
        raise Retry("cannot read the join secret %s: %s" % (config["secret_name"], exc)) from None
    argv, env = playbook_run(bundle_path(sha, root))
    # The host's run() hands the secret over in memory and names its descriptor in SECRET_FD_ENV.
    rc, out = host.run(argv, env=env, secret=secret)
    if rc != 0:
        refused = [words for words in REFUSED if words in out]
        if refused:
            raise Stop(
                "the DC refused the join account (%s): not retrying, so that new instances do "
                "not lock the account out; correct the account or its secret %s first"
                % (refused[0], config["secret_name"])
            )
        raise Retry("the enrol playbook failed (rc %d); its output is in the journal above" % rc)


def enrol(config, host, state_file=STATE_FILE, root=BUNDLE_DIR):
    """Attempts with backoff until one converges or retry_seconds pass; 0 when enrolled."""
    started = host.now()
    deadline = started + config["retry_seconds"]
    previous = previous_state(state_file)
    state = {
        "version": STATE_VERSION,
        "bundle_sha256": config["sha256"],
        "bundle_key": config["key"],
        "enrolled_at": previous.get("enrolled_at")
        if previous.get("bundle_sha256") == config["sha256"]
        else None,
    }
    delay = BACKOFF_FIRST
    tries = 0
    while True:
        tries += 1
        state["last_attempt_at"] = utc(host.now())
        try:
            check_python(host.python)
            attempt(config, host, root)
        except Stop as exc:
            return _failed(host, state, state_file, str(exc), tries)
        except (Retry, OSError) as exc:
            reason = str(exc) if isinstance(exc, Retry) else _os_reason(exc)
            if host.now() + delay > deadline:
                return _failed(host, state, state_file, reason, tries)
            # Only the journal hears of a failure that is retried: the state file keeps what was
            # last known, so a short outage does not turn the report red.
            host.log(4, "attempt %d: %s; next in %ds" % (tries, reason, delay))
            host.sleep(delay)
            delay = min(delay * 2, BACKOFF_MAX)
            continue
        state.update(result="converged", enrolled_at=utc(host.now()), attempts=tries)
        state.pop("reason", None)
        _save(host, state, state_file)
        host.log(5, "enrolled from bundle %s after %d attempt(s)" % (config["sha256"][:12], tries))
        return 0


def _os_reason(exc):
    # A full disk or a read-only file system may pass.
    return "%s: %s" % (exc.filename or "the file system", exc.strerror or exc)


def _save(host, state, state_file):
    try:
        write_state(state, state_file)
    except OSError as exc:
        host.log(3, "cannot write %s: %s" % (state_file, _os_reason(exc)))


def _failed(host, state, state_file, reason, tries):
    state.update(result="failed", reason=reason, attempts=tries)
    _save(host, state, state_file)
    host.log(
        3,
        "not enrolled: %s (the instance is left as it was; "
        "`systemctl start %s` tries again)" % (reason, SERVICE),
    )
    return 1


def main(argv, host):
    if len(argv) != 1:
        host.log(3, "usage: enrol.py <config.json>")
        return 2
    try:
        with open(argv[0]) as handle:
            config = load_config(handle.read())
    except (OSError, Stop) as exc:
        host.log(3, "not enrolled: %s" % exc)
        return 1
    return enrol(config, host)


# The installed script's entry point, appended to the source by plugin_utils/enrol_script.py:
# the only part that runs programs, calls AWS and exits.
ENTRY = """

if __name__ == "__main__":
    import shutil as _shutil
    import subprocess
    import sys

    def _run(argv, env=None, secret=None):
        full = dict(os.environ, **(env or {}))
        if secret is None:
            done = subprocess.run(
                argv, env=full, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
            )
            return done.returncode, done.stdout.decode("utf-8", "replace")
        # The secret lives in memory only: a memfd the playbook's processes inherit. Its output
        # goes to the journal as it comes, and is kept to tell a refused account from an outage.
        fd = os.memfd_create("ssm-runas-join", 0)
        try:
            os.write(fd, json.dumps(secret).encode())
            full[SECRET_FD_ENV] = str(fd)
            proc = subprocess.Popen(
                argv, env=full, pass_fds=(fd,), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            )
            kept = []
            for line in proc.stdout:
                sys.stdout.buffer.write(line)
                sys.stdout.flush()
                kept.append(line)
            proc.wait()
        finally:
            os.close(fd)
        return proc.returncode, b"".join(kept).decode("utf-8", "replace")

    def _client(service, region):
        import boto3
        return boto3.session.Session(region_name=region).client(service)

    def _get_object(bucket, key, region):
        return _client("s3", region).get_object(Bucket=bucket, Key=key)["Body"].read()

    def _get_secret(store, name, region):
        if store == "ssm":
            answer = _client("ssm", region).get_parameter(Name=name, WithDecryption=True)
            return answer["Parameter"]["Value"]
        return _client("secretsmanager", region).get_secret_value(SecretId=name)["SecretString"]

    _journal = bool(os.environ.get("JOURNAL_STREAM"))

    def _log(level, message):
        sys.stdout.write(("<%d>" % level if _journal else "") + message + "\\n")
        sys.stdout.flush()

    sys.exit(main(sys.argv[1:], Host(
        run=_run, get_object=_get_object, get_secret=_get_secret, now=time.time,
        sleep=time.sleep, log=_log, which=_shutil.which, python=sys.version_info[:2],
    )))
"""
