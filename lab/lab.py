#!/usr/bin/env python3
"""The embedded lab: a Samba AD DC, realm-joinable Debian instances and a moto server.

One definition serves `make lab`, every molecule scenario and the benchmarks. Everything it
creates carries the label ``io.federated.ssm_runas.lab=<name>`` so that ``down`` removes
exactly what ``up`` made. Base images are cached by a hash of their recipe and rebuilt only
when the recipe changes.

    lab.py up   [--name lab] [--instance debian12 ...] [--moto-port 5510] [--no-moto]
                [--aws-only] [--moto-on-network [--imds]]
    lab.py down [--name lab] [--images]
    lab.py status [--name lab]
    lab.py images [--distro debian12 ...]

moto_server listens on 127.0.0.1:--moto-port unless ``--moto-on-network`` puts it on the lab
network's gateway (``Lab.gateway``), where the instances reach it too; lab.json's
``aws_endpoint_url`` says which. ``--imds`` (needs ``--moto-on-network``) makes each instance an
EC2 instance launched from a launch template in that moto: ``lab/imds.py``, an IMDSv2 stand-in,
listens on the gateway at --moto-port + 1 (lab.json ``imds_endpoint``) and serves the user data
and instance-profile credentials of the template named in the file lab.json calls
``imds_launch_template_file`` (``<state>/imds-launch-template``, read at every request: write
the name once the template exists). Every instance gets ``/root/.aws/config`` (0600, by podman
exec) with ``ec2_metadata_service_endpoint`` and ``endpoint_url``: the lab's stand-ins for
EC2's link-local metadata address and the VPC's route to AWS. ``down`` stops moto and imds.py;
an ``up`` without ``--imds`` stops imds.py and takes the config back.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import hashlib
import ipaddress
import json
import os
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
STATE_ROOT = Path(os.environ.get("SSM_RUNAS_LAB_STATE", REPO / ".lab"))
CACHE_ROOT = Path(os.environ.get("SSM_RUNAS_CACHE", Path.home() / ".cache" / "ssm-runas"))
LABEL = "io.federated.ssm_runas.lab"
ROLE_LABEL = "io.federated.ssm_runas.role"
DISTRO_LABEL = "io.federated.ssm_runas.distro"
RECIPE_LABEL = "io.federated.ssm_runas.recipe"
IMAGE_REPO = "localhost/ssm-runas"
ULIMITS = ["--ulimit", "nofile=10000:10000", "--ulimit", "nproc=8192:8192"]

REALM = "EXAMPLE.TEST"
REGION = "us-east-1"  # inventories/lab's; imds.py answers it as the instances' region
# First line of the /root/.aws/config `up --imds` writes into instances (and only such a
# file is removed when the lab goes back to no IMDS).
AWS_CONFIG_MARK = "# lab.py up --imds: EC2's metadata service and the VPC's route to AWS"
NETBIOS = "EXAMPLE"
DOMAIN = REALM.lower()

DISTROS = {
    "debian12": {"suite": "bookworm", "mirror": "http://deb.debian.org/debian"},
    "debian13": {"suite": "trixie", "mirror": "http://deb.debian.org/debian"},
}
# Kinds of instance derived from a distro's base image by a script run inside it (no
# debootstrap of their own): the distro's recipe hash stays what it was.
VARIANTS = {
    # Debian 13 whose `sudo` is sudo-rs (as Ubuntu 25.10 ships it); sudo itself is removed.
    "debian13-sudors": {"from": "debian13", "script": "variant-sudo-rs.sh"},
}
INSTANCE_KINDS = [*DISTROS, *VARIANTS]
BASE_PACKAGES = (
    "systemd,systemd-sysv,dbus,python3,sudo,iproute2,iputils-ping,ca-certificates,procps"
)
DC_PACKAGES = (
    "samba samba-ad-provision samba-dsdb-modules samba-vfs-modules winbind krb5-user"
    " ldb-tools smbclient python3-samba"
)

# The walkthrough's cast plus the identities the tests need. UPNs are what ADFS will emit.
# A group lives in CN=Users unless it names an OU (created under the domain).
GROUPS = [
    {"name": "NetworkAdmins"},
    {"name": "SysAdmins"},
    {"name": "Help Desk"},
    # Outside the lab's SSSD group search base (inventories/lab, ad_join_sssd_settings).
    {"name": "Contractors", "ou": "OU=Partners"},
]
USERS = [
    {"name": "bob", "groups": ["NetworkAdmins"]},
    {"name": "alice", "groups": ["SysAdmins"]},
    {"name": "carol", "groups": []},
    {"name": "dave", "groups": ["NetworkAdmins", "SysAdmins"]},
    {"name": "erin", "groups": ["Help Desk"]},
    # Seeded broken on purpose: a UPN suffix that is not the realm (the classic failure).
    {"name": "mallory", "groups": ["NetworkAdmins"], "upn": "mallory@partner.test"},
    # Seeded broken on purpose: frank's primary group is Contractors, which SSSD cannot read
    # (outside its group search base): it maps the group's SID to frank's GID but cannot name
    # it, so `id` lists a bare GID and the agent refuses frank ("invalid group").
    {"name": "frank", "groups": ["NetworkAdmins", "Contractors"], "primary_group": "Contractors"},
]


def log(msg: str) -> None:
    print(f"lab: {msg}", file=sys.stderr, flush=True)


def podman(
    *args: str,
    check: bool = True,
    capture: bool = True,
    stdin: str | None = None,
    timeout: int | None = None,
) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    env.setdefault("CONTAINERS_CONF", str(REPO / "lab" / "containers.conf"))
    proc = subprocess.run(
        ["podman", *args],
        input=stdin,
        text=True,
        env=env,
        timeout=timeout,
        stdout=subprocess.PIPE if capture else None,
        stderr=subprocess.PIPE if capture else None,
        check=False,
    )
    if check and proc.returncode != 0:
        raise SystemExit(
            f"lab: podman {' '.join(args[:3])} ... failed ({proc.returncode}):\n"
            f"{proc.stderr or ''}{proc.stdout or ''}"
        )
    return proc


# ---------------------------------------------------------------------------------------
# images


def recipe_hash(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:12]


def base_recipe(distro: str) -> str:
    spec = DISTROS[distro]
    return recipe_hash(
        "base-v3",
        spec["suite"],
        spec["mirror"],
        BASE_PACKAGES,
        Path(__file__).with_name("rootfs-setup.sh").read_text(),
    )


def image_exists(ref: str) -> bool:
    return podman("image", "exists", ref, check=False).returncode == 0


def base_image(distro: str) -> str:
    """Return the cached systemd base image for distro, building it if its recipe changed."""
    if distro in VARIANTS:
        return variant_image(distro)
    ref = f"{IMAGE_REPO}-base:{distro}-{base_recipe(distro)}"
    if image_exists(ref):
        return ref
    with build_lock():
        if image_exists(ref):  # built by a concurrent lab.py while we waited
            return ref
        return _build_base(distro, ref)


def _build_base(distro: str, ref: str) -> str:
    spec = DISTROS[distro]
    log(f"building {ref} with debootstrap (about a minute)")
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix=f"ssm-runas-{distro}-", dir=scratch_dir()) as tmp:
        root = Path(tmp) / "rootfs"
        subprocess.run(
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={BASE_PACKAGES}",
                spec["suite"],
                str(root),
                spec["mirror"],
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        subprocess.run(
            [
                "bash",
                str(Path(__file__).with_name("rootfs-setup.sh")),
                str(root),
                spec["suite"],
                spec["mirror"],
            ],
            check=True,
        )
        tar = subprocess.Popen(
            ["tar", "-C", str(root), "--numeric-owner", "-c", "."], stdout=subprocess.PIPE
        )
        env = dict(os.environ, CONTAINERS_CONF=str(REPO / "lab" / "containers.conf"))
        subprocess.run(
            [
                "podman",
                "import",
                "--change",
                "CMD=/sbin/init",
                "--change",
                f"LABEL {RECIPE_LABEL}={base_recipe(distro)}",
                "-",
                ref,
            ],
            stdin=tar.stdout,
            check=True,
            env=env,
            stdout=subprocess.DEVNULL,
        )
        tar.wait()
    prune_images(f"{IMAGE_REPO}-base", keep=ref, kind=distro)
    log(f"built {ref} in {time.monotonic() - started:.0f}s")
    return ref


def variant_image(kind: str) -> str:
    """A distro's base image with the variant's script run in it, cached by both."""
    spec = VARIANTS[kind]
    base = base_image(spec["from"])
    script = Path(__file__).with_name(spec["script"]).read_text()
    ref = f"{IMAGE_REPO}-base:{kind}-{recipe_hash('variant-v1', base, script)}"
    if image_exists(ref):
        return ref
    with build_lock():
        if image_exists(ref):
            return ref
        log(f"building {ref} from {base}")
        started = time.monotonic()
        _commit_from(base, ref, ["bash", "-c", script])
        prune_images(f"{IMAGE_REPO}-base", keep=ref, kind=kind)
        log(f"built {ref} in {time.monotonic() - started:.0f}s")
        return ref


def apt_pool(kind: str) -> str:
    """The distro whose .deb pool an instance kind shares (a variant uses its distro's)."""
    return VARIANTS[kind]["from"] if kind in VARIANTS else kind


def dc_image() -> str:
    base = base_image("debian12")
    ref = f"{IMAGE_REPO}-dc:{recipe_hash('dc-v2', base, DC_PACKAGES)}"
    if image_exists(ref):
        return ref
    with build_lock():
        if image_exists(ref):
            return ref
        return _build_dc(base, ref)


def _build_dc(base: str, ref: str) -> str:
    log(f"building {ref} (samba packages)")
    # No systemd while installing: nothing starts, so smbd/nmbd/winbind can be masked before
    # they ever run (stopping winbind hangs for 90 s in a container).
    script = (
        "set -e; export DEBIAN_FRONTEND=noninteractive; apt-get update -qq;"
        f" apt-get install -y -qq --no-install-recommends {DC_PACKAGES} >/dev/null;"
        " systemctl mask smbd nmbd winbind samba-ad-dc >/dev/null 2>&1;"
        " rm -f /etc/samba/smb.conf /etc/krb5.conf; apt-get clean"
    )
    _commit_from(base, ref, ["bash", "-c", script])
    prune_images(f"{IMAGE_REPO}-dc", keep=ref)
    return ref


def _commit_from(base: str, ref: str, argv: list[str]) -> None:
    """Run argv in a container of base (no systemd) and commit the result as ref."""
    builder = f"ssm-runas-build-{os.getpid()}"
    # Builders of an interrupted run (we hold the build lock, so none is live).
    stale = podman("ps", "-aq", "--filter", f"label={LABEL}=build").stdout.split()
    if stale:
        podman("rm", "-f", *stale, check=False)
    podman("rm", "-f", builder, check=False)
    podman(
        "run", "--name", builder, *ULIMITS, "--label", f"{LABEL}=build", base, *argv,
        timeout=900,
    )  # fmt: skip
    podman("commit", "--change", "CMD=/sbin/init", builder, ref)
    podman("rm", "-f", builder)


@contextlib.contextmanager
def build_lock():
    """One image build at a time on this machine (labs and scenarios start concurrently)."""
    path = CACHE_ROOT / "build.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def prune_images(repo: str, keep: str, kind: str = "") -> None:
    """Remove older builds of the same kind (tag <kind>-<hash>; any tag without a kind) that no
    container uses any more.

    Never forced: an image still used by a running lab (another scenario's, the user's) stays
    until that lab is recreated; the next build prunes it.
    """
    out = podman("images", "--format", "{{.Repository}}:{{.Tag}}", repo, check=False).stdout
    for ref in out.split():
        tag = ref.rsplit(":", 1)[-1]
        if ref != keep and (not kind or tag.rsplit("-", 1)[0] == kind):
            podman("rmi", ref, check=False)


def scratch_dir() -> str:
    path = CACHE_ROOT / "build"
    path.mkdir(parents=True, exist_ok=True)
    return str(path)


# ---------------------------------------------------------------------------------------
# lab state


class Lab:
    def __init__(self, name: str):
        if not name or not all(c in string.ascii_lowercase + string.digits + "-" for c in name):
            raise SystemExit(f"lab: --name {name!r}: use lower-case letters, digits and '-'")
        self.name = name
        self.state = STATE_ROOT / name
        self.prefix = f"ssm-runas-{name}"
        self.network = f"{self.prefix}-net"
        self.use_subnet(subnet_for(name))
        self.dc_name = f"{self.prefix}-dc"

    def use_subnet(self, subnet: str) -> None:
        self.subnet = subnet
        net = ipaddress.ip_network(subnet)
        self.gateway = str(net.network_address + 1)
        self.dc_ip = str(net.network_address + 10)

    # secrets -----------------------------------------------------------------------------
    @property
    def secrets_file(self) -> Path:
        return self.state / "secrets.json"

    def secrets(self) -> dict:
        data = {"admin_password": password(), "users": {}}
        if self.secrets_file.exists():
            data = json.loads(self.secrets_file.read_text())
        missing = [u["name"] for u in USERS if u["name"] not in data["users"]]
        if self.secrets_file.exists() and not missing:
            return data
        # A user added to the cast since the lab's secrets were made gets a password too.
        data["users"].update({name: password() for name in missing})
        self.state.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.secrets_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(data, fh, indent=2)
        return data

    # SAML metadata -----------------------------------------------------------------------
    def saml_metadata(self) -> Path:
        """The lab's stand-in for ADFS FederationMetadata.xml, signed by a self-made certificate."""
        path = self.state / "adfs-federation-metadata.xml"
        if path.exists():
            return path
        with tempfile.TemporaryDirectory() as tmp:
            subprocess.run(
                [
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "rsa:2048",
                    "-nodes",
                    "-days",
                    "3650",
                    "-subj",
                    f"/CN=ADFS Signing - adfs.{DOMAIN}",
                    "-keyout",
                    f"{tmp}/key.pem",
                    "-out",
                    f"{tmp}/cert.pem",
                ],
                check=True,
                capture_output=True,
            )
            pem = Path(f"{tmp}/cert.pem").read_text()
        body = "".join(line for line in pem.splitlines() if "CERTIFICATE" not in line)
        path.write_text(METADATA.format(domain=DOMAIN, cert=body))
        return path

    # containers --------------------------------------------------------------------------
    def labels(self, role: str, distro: str = "") -> list[str]:
        out = ["--label", f"{LABEL}={self.name}", "--label", f"{ROLE_LABEL}={role}"]
        if distro:
            out += ["--label", f"{DISTRO_LABEL}={distro}"]
        return out

    def ensure_network(self) -> None:
        """The lab's network: its existing subnet, else the preferred one or the next free /24."""
        nets = json.loads(podman("network", "ls", "--format", "json").stdout or "[]")
        used = {}
        for net in nets:
            for sub in net.get("subnets") or []:
                used[sub.get("subnet")] = net.get("name")
        mine = [s for s, n in used.items() if n == self.network]
        if mine:
            self.use_subnet(mine[0])
            return
        self.use_subnet(free_subnet(subnet_for(self.name), set(used)))
        podman(
            "network",
            "create",
            "--subnet",
            self.subnet,
            "--gateway",
            self.gateway,
            "--label",
            f"{LABEL}={self.name}",
            self.network,
        )

    def running(self, container: str, image: str | None = None) -> bool:
        """True when container runs (and, if given, runs image: a new recipe replaces it)."""
        out = podman(
            "inspect", "--format", "{{.State.Running}} {{.ImageName}}", container, check=False
        )
        if out.returncode != 0:
            return False
        state, _, current = out.stdout.strip().partition(" ")
        return state == "true" and (image is None or current == image)

    def run_systemd(
        self, container: str, image: str, *, hostname: str, role: str, distro: str, extra: list[str]
    ) -> None:
        if self.running(container, image):
            return
        podman("rm", "-f", container, check=False)
        podman(
            "run",
            "-d",
            "--name",
            container,
            "--hostname",
            hostname,
            "--network",
            self.network,
            "--systemd=always",
            *ULIMITS,
            "--cap-add",
            "SYS_ADMIN,NET_ADMIN,AUDIT_WRITE",
            *self.labels(role, distro),
            *extra,
            image,
            "/sbin/init",
        )
        wait_for(
            lambda: (
                podman(
                    "exec", container, "systemctl", "is-system-running", check=False
                ).stdout.strip()
                in ("running", "degraded")
            ),
            f"systemd in {container}",
            90,
        )

    def up_dc(self) -> bool:
        """Start (or reuse) the DC and its cast; True when the realm was provisioned anew."""
        image = dc_image()
        fresh = not self.running(self.dc_name, image)
        self.run_systemd(
            self.dc_name,
            image,
            hostname=f"dc1.{DOMAIN}",
            role="dc",
            distro="debian12",
            extra=["--ip", self.dc_ip, "--dns", "127.0.0.1", "--dns-search", DOMAIN],
        )
        secret = self.secrets()
        payload = json.dumps(
            {
                "realm": REALM,
                "netbios": NETBIOS,
                "forwarder": host_resolver(),
                "admin_password": secret["admin_password"],
                "groups": GROUPS,
                "users": [
                    dict(
                        u,
                        password=secret["users"][u["name"]],
                        upn=u.get("upn", f"{u['name']}@{DOMAIN}"),
                    )
                    for u in USERS
                ],
            }
        )
        if fresh:
            log(f"provisioning {REALM} on {self.dc_name}")
        # Passwords travel on stdin, never in argv.
        podman(
            "cp",
            str(Path(__file__).with_name("dc_provision.py")),
            f"{self.dc_name}:/usr/local/sbin/dc_provision.py",
        )
        podman(
            "exec",
            "-i",
            self.dc_name,
            "python3",
            "/usr/local/sbin/dc_provision.py",
            stdin=payload,
            timeout=300,
        )
        return fresh

    def up_instance(self, index: int, distro: str) -> str:
        container = f"{self.prefix}-i{index}"
        image = base_image(distro)
        if self.running(container, image):
            return container
        apt_cache = seed_apt_cache(container, apt_pool(distro))
        self.run_systemd(
            container,
            image,
            hostname=f"i{index}-{self.name}.{DOMAIN}",
            role="instance",
            distro=distro,
            extra=[
                "--dns",
                self.dc_ip,
                "--dns-search",
                DOMAIN,
                "-v",
                f"{apt_cache}:/var/cache/apt/archives:z",
            ],
        )
        return container

    def containers(self) -> list[dict]:
        out = podman(
            "ps", "-a", "--filter", f"label={LABEL}={self.name}", "--format", "json"
        ).stdout
        return json.loads(out or "[]")

    # controller-side services: moto_server, imds.py ------------------------------------
    # Each has <state>/<service>.pid: "<pid> <port> <host> [<endpoint>]" (host 127.0.0.1 when a
    # pidfile of an older lab.py has none). The pid leads its own process group.
    @property
    def moto_pidfile(self) -> Path:
        return self.state / "moto.pid"

    @property
    def imds_pidfile(self) -> Path:
        return self.state / "imds.pid"

    @property
    def imds_template_file(self) -> Path:
        """Where a test writes the launch template's name for imds.py (read per request)."""
        return self.state / "imds-launch-template"

    @staticmethod
    def recorded(pidfile: Path) -> list[str] | None:
        """The pidfile's fields [pid, port, host, ...], or None without one."""
        if not pidfile.exists():
            return None
        fields = pidfile.read_text().split()
        return [*fields, "127.0.0.1"] if len(fields) == 2 else fields

    def start_service(
        self, pidfile: Path, argv: list[str], host: str, port: int, *, what: str, extra: str = ""
    ) -> None:
        self.state.mkdir(parents=True, exist_ok=True)
        logfile = open(pidfile.with_suffix(".log"), "ab")  # noqa: SIM115 - handed to the child
        proc = subprocess.Popen(
            argv, stdout=logfile, stderr=subprocess.STDOUT, start_new_session=True
        )
        logfile.close()
        pidfile.write_text(f"{proc.pid} {port} {host}{' ' + extra if extra else ''}\n")
        wait_for(lambda: port_open(host, port), what, 30)

    def stop_service(self, pidfile: Path) -> None:
        """Stop the service's process group; return once it no longer listens (a new one may
        want its address at once)."""
        fields = self.recorded(pidfile)
        if fields is None:
            return
        pid, port, host = int(fields[0]), int(fields[1]), fields[2]
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while port_open(host, port) and time.monotonic() < deadline:
                time.sleep(0.2)
            if port_open(host, port):
                os.killpg(pid, signal.SIGKILL)
        pidfile.unlink()

    def up_moto(self, port: int, host: str = "127.0.0.1") -> bool:
        """moto_server on host:port: loopback, or the network's gateway for the instances.

        True when it started one (a moto with no data yet), False when it reuses one."""
        fields = self.recorded(self.moto_pidfile)
        if fields and fields[1:3] != [str(port), host]:
            log(f"moto moves from {fields[2]}:{fields[1]} to {host}:{port} (its data goes)")
            self.stop_service(self.moto_pidfile)
        if port_open(host, port):
            if self.moto_pidfile.exists():
                return False
            raise SystemExit(
                f"lab: {host}:{port} is taken by something that is not this "
                f"lab's moto; choose another with --moto-port"
            )
        moto = Path(sys.executable).with_name("moto_server")
        if not moto.exists():
            raise SystemExit(f"lab: {moto} not found: run `make setup` first")
        self.start_service(
            self.moto_pidfile,
            [str(moto), "-H", host, "-p", str(port)],
            host,
            port,
            what="moto server",
        )
        return True

    def down_moto(self) -> None:
        self.stop_service(self.moto_pidfile)

    def up_imds(self, port: int, host: str, endpoint: str, *, reuse: bool = True) -> str:
        """lab/imds.py on host:port for the moto at endpoint; returns its URL.

        One that runs for the same moto is reused unless reuse is False (a new moto: the
        credentials imds.py caches would be unknown to it)."""
        fields = self.recorded(self.imds_pidfile)
        wanted = [str(port), host, endpoint]
        if reuse and fields and fields[1:] == wanted and port_open(host, port):
            return imds_url(host, port)
        self.stop_service(self.imds_pidfile)
        if port_open(host, port):
            raise SystemExit(
                f"lab: {host}:{port} (--moto-port + 1, for --imds) is taken; "
                f"choose another --moto-port"
            )
        argv = [
            sys.executable,
            str(Path(__file__).with_name("imds.py")),
            "--bind", host,
            "--port", str(port),
            "--endpoint", endpoint,
            "--region", REGION,
            "--launch-template-file", str(self.imds_template_file),
        ]  # fmt: skip
        self.start_service(self.imds_pidfile, argv, host, port, what="imds", extra=endpoint)
        return imds_url(host, port)

    def down_imds(self) -> None:
        self.stop_service(self.imds_pidfile)

    def configure_instance_aws(self, container: str, imds: str | None, endpoint: str) -> None:
        """The instance's /root/.aws/config: where EC2's link-local IMDS and the VPC's route
        to AWS are, in the lab. Written with podman exec (0600); imds None removes a config
        this lab wrote."""
        if imds is None:
            script = 'grep -qxF "$1" /root/.aws/config 2>/dev/null && rm -f /root/.aws/config; true'
            podman("exec", container, "sh", "-c", script, "sh", AWS_CONFIG_MARK, check=False)
            return
        config = (
            f"{AWS_CONFIG_MARK}\n[default]\nec2_metadata_service_endpoint = {imds}\n"
            f"endpoint_url = {endpoint}\n"
        )
        script = (
            "set -e; umask 077; mkdir -p /root/.aws; cat > /root/.aws/config.lab;"
            " chmod 0600 /root/.aws/config.lab; mv -f /root/.aws/config.lab /root/.aws/config"
        )
        podman("exec", "-i", container, "sh", "-c", script, stdin=config)

    def facts(self) -> dict:
        """The last lab.json, or {} without one."""
        try:
            return json.loads((self.state / "lab.json").read_text())
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def write_facts(
        self, instances: list[str], aws_endpoint: str | None, imds: str | None = None
    ) -> dict:
        facts = {
            "name": self.name,
            "realm": REALM,
            "domain": DOMAIN,
            "dc_ip": self.dc_ip,
            "dc_container": self.dc_name,
            "network": self.network,
            "subnet": self.subnet,
            "instances": instances,
            "aws_endpoint_url": aws_endpoint,
            "imds_endpoint": imds,
            "imds_launch_template_file": str(self.imds_template_file) if imds else None,
            "secrets_file": str(self.secrets_file),
            "saml_metadata_file": str(self.saml_metadata()),
        }
        (self.state / "lab.json").write_text(json.dumps(facts, indent=2) + "\n")
        return facts


METADATA = """<?xml version="1.0" encoding="utf-8"?>
<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata"
    entityID="http://adfs.{domain}/adfs/services/trust">
  <IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <KeyDescriptor use="signing">
      <KeyInfo xmlns="http://www.w3.org/2000/09/xmldsig#">
        <X509Data><X509Certificate>{cert}</X509Certificate></X509Data>
      </KeyInfo>
    </KeyDescriptor>
    <NameIDFormat>urn:oasis:names:tc:SAML:2.0:nameid-format:persistent</NameIDFormat>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
        Location="https://adfs.{domain}/adfs/ls/"/>
    <SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
        Location="https://adfs.{domain}/adfs/ls/"/>
  </IDPSSODescriptor>
</EntityDescriptor>
"""


def free_subnet(preferred: str, used: set[str]) -> str:
    """preferred unless another network has it, else the next free /24 of 10.89.128.0/17."""
    if preferred not in used:
        return preferred
    start = int(preferred.split(".")[2])
    for step in range(1, 128):
        candidate = f"10.89.{128 + (start - 128 + step) % 128}.0/24"
        if candidate not in used:
            return candidate
    raise SystemExit("lab: no free /24 left in 10.89.128.0/17; remove unused podman networks")


def seed_apt_cache(container: str, distro: str) -> Path:
    """A container's own .deb cache (apt locks it), seeded by hard links from the distro's pool.

    Sharing one directory between containers makes parallel apt runs fail on its lock.
    """
    pool = CACHE_ROOT / "apt" / distro
    own = CACHE_ROOT / "apt" / "containers" / container
    pool.mkdir(parents=True, exist_ok=True)
    harvest_apt_cache(own, pool)
    shutil.rmtree(own, ignore_errors=True)
    (own / "partial").mkdir(parents=True)
    for deb in pool.glob("*.deb"):
        with contextlib.suppress(FileExistsError):
            os.link(deb, own / deb.name)
    return own


def harvest_apt_cache(own: Path, pool: Path) -> None:
    """Hard-link what a container downloaded back into its distro's pool."""
    for deb in own.glob("*.deb"):
        with contextlib.suppress(FileExistsError):
            os.link(deb, pool / deb.name)


def subnet_for(name: str) -> str:
    """A /24 per lab name, stable across runs, inside 10.89.128.0/17 (podman's own range)."""
    if name == "lab":
        return "10.89.200.0/24"
    octet = 128 + int(hashlib.sha256(name.encode()).hexdigest(), 16) % 120
    return f"10.89.{octet}.0/24"


def password() -> str:
    # AD complexity: upper, lower, digit and symbol; no characters that need shell quoting.
    alphabet = string.ascii_letters + string.digits
    core = "".join(secrets.choice(alphabet) for _ in range(20))
    return f"Lab-{core}-9x"


def host_resolver() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/etc/resolv.conf").read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[0] == "nameserver" and not parts[1].startswith("127."):
                return parts[1]
    return "1.1.1.1"


def imds_url(host: str, port: int) -> str:
    return f"http://{host}:{port}/"


def port_open(host: str, port: int) -> bool:
    with contextlib.closing(socket.socket()) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_for(predicate, what: str, seconds: int) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.5)
    raise SystemExit(f"lab: {what} not ready after {seconds}s")


# ---------------------------------------------------------------------------------------
# commands


def up_aws(lab: Lab, args, instances: list[str]) -> tuple[str | None, str | None]:
    """moto (loopback or on the network) and the IMDS stand-in: their URLs, None when off."""
    aws_endpoint = imds = None
    new_moto = False
    if not args.no_moto:
        # On the network: moto listens on the gateway, which the bridge carries from the
        # first container on (the instances are up by now).
        host = lab.gateway if args.moto_on_network else "127.0.0.1"
        new_moto = lab.up_moto(args.moto_port, host)
        aws_endpoint = f"http://{host}:{args.moto_port}"
    # A lab that had the IMDS (by its pidfile, or the last lab.json) and goes without it
    # takes back the instances' config, which would point at nothing.
    had_imds = lab.imds_pidfile.exists() or bool(lab.facts().get("imds_endpoint"))
    if args.imds:
        imds = lab.up_imds(args.moto_port + 1, lab.gateway, aws_endpoint, reuse=not new_moto)
    else:
        lab.down_imds()
    if args.imds or had_imds:
        for container in instances:
            lab.configure_instance_aws(container, imds, aws_endpoint)
    return aws_endpoint, imds


def cmd_up(args) -> None:
    started = time.monotonic()
    lab = Lab(args.name)
    distros = args.instance or ["debian12"]
    for distro in distros:
        if distro not in INSTANCE_KINDS:
            raise SystemExit(f"lab: --instance {distro!r}: choose from {', '.join(INSTANCE_KINDS)}")
    lab.secrets()
    lab.saml_metadata()
    instances: list[str] = []
    if not args.aws_only:
        lab.ensure_network()
        if lab.up_dc():
            # A new realm invalidates every join made against the old DC: start instances anew.
            for c in lab.containers():
                if c.get("Labels", {}).get(ROLE_LABEL) == "instance":
                    podman("rm", "-f", "-t", "2", c["Names"][0], check=False)
        instances = [lab.up_instance(i + 1, d) for i, d in enumerate(distros)]
        # Instances beyond the requested count (from an earlier, larger lab) are removed.
        wanted = set(instances) | {lab.dc_name}
        for c in lab.containers():
            name = c["Names"][0]
            if name not in wanted:
                podman("rm", "-f", name, check=False)
    aws_endpoint, imds = up_aws(lab, args, instances)
    facts = lab.write_facts(instances, aws_endpoint, imds)
    log(
        f"lab {args.name!r} up in {time.monotonic() - started:.0f}s: DC {lab.dc_ip}, "
        f"instances {', '.join(instances)}"
        + (f", AWS endpoint {facts['aws_endpoint_url']}" if facts["aws_endpoint_url"] else "")
        + (f", IMDS {imds}" if imds else "")
    )


def cmd_down(args) -> None:
    lab = Lab(args.name)
    lab.down_imds()
    lab.down_moto()
    for c in lab.containers():
        distro = c.get("Labels", {}).get(DISTRO_LABEL, "")
        own = CACHE_ROOT / "apt" / "containers" / c["Names"][0]
        if distro and own.exists():
            harvest_apt_cache(own, CACHE_ROOT / "apt" / apt_pool(distro))
            shutil.rmtree(own, ignore_errors=True)
    # A container that is stopping while we remove it can make `podman rm` fail once: retry.
    for attempt in range(3):
        ids = podman("ps", "-aq", "--filter", f"label={LABEL}={args.name}").stdout.split()
        if not ids:
            break
        if podman("rm", "-f", "-t", "2", *ids, check=attempt == 2).returncode == 0:
            break
        time.sleep(2)
    nets = podman("network", "ls", "-q", "--filter", f"label={LABEL}={args.name}").stdout.split()
    for net in nets:
        podman("network", "rm", "-f", net, check=False)
    if args.images:
        # The DC image is derived and cheap to rebuild; base images stay cached. Not forced:
        # another lab (a molecule scenario) may still run on it.
        for ref in set(podman("images", "-q", f"{IMAGE_REPO}-dc", check=False).stdout.split()):
            if podman("rmi", ref, check=False).returncode != 0:
                log(f"kept image {ref}: another lab still uses it")
    if lab.state.exists():
        for child in ("lab.json", "moto.log", "imds.log", lab.imds_template_file.name):
            with contextlib.suppress(FileNotFoundError):
                (lab.state / child).unlink()
        if args.forget_secrets:
            shutil.rmtree(lab.state)
    log(f"lab {args.name!r} down")


def cmd_status(args) -> None:
    lab = Lab(args.name)
    for c in lab.containers():
        print(f"{c['Names'][0]:32} {c['State']:10} {c.get('Labels', {}).get(ROLE_LABEL, '')}")
    for what, pidfile in (("moto_server", lab.moto_pidfile), ("imds", lab.imds_pidfile)):
        fields = lab.recorded(pidfile)
        if fields:
            _pid, port, host = fields[:3]
            alive = port_open(host, int(port))
            print(f"{what:32} {'running' if alive else 'dead':10} {host}:{port}")


def cmd_images(args) -> None:
    for distro in args.distro or INSTANCE_KINDS:
        print(base_image(distro))
    print(dc_image())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_up = sub.add_parser("up", help="bring the lab up (reuses what runs)")
    p_up.add_argument("--name", default="lab")
    p_up.add_argument(
        "--instance",
        action="append",
        metavar="DISTRO",
        help="one per instance container (default: one debian12)",
    )
    p_up.add_argument("--moto-port", type=int, default=int(os.environ.get("LAB_MOTO_PORT", "5510")))
    p_up.add_argument("--no-moto", action="store_true")
    p_up.add_argument("--aws-only", action="store_true", help="only the moto server")
    p_up.add_argument(
        "--moto-on-network",
        action="store_true",
        help="moto listens on the lab network's gateway (instances reach it), not 127.0.0.1",
    )
    p_up.add_argument(
        "--imds",
        action="store_true",
        help="an IMDSv2 stand-in (lab/imds.py) on the gateway at --moto-port + 1; instances get"
        " /root/.aws/config pointing at it and at moto (needs --moto-on-network)",
    )
    p_up.set_defaults(func=cmd_up)
    p_down = sub.add_parser("down", help="remove what the lab created")
    p_down.add_argument("--name", default="lab")
    p_down.add_argument("--images", action="store_true", help="also the DC image")
    p_down.add_argument("--forget-secrets", action="store_true")
    p_down.set_defaults(func=cmd_down)
    p_status = sub.add_parser("status")
    p_status.add_argument("--name", default="lab")
    p_status.set_defaults(func=cmd_status)
    p_images = sub.add_parser("images", help="build (or reuse) the cached images")
    p_images.add_argument("--distro", action="append")
    p_images.set_defaults(func=cmd_images)
    args = parser.parse_args(argv)
    if args.command == "up":
        if args.moto_on_network and (args.no_moto or args.aws_only):
            parser.error("--moto-on-network needs the lab network: not with --no-moto, --aws-only")
        if args.imds and not args.moto_on_network:
            parser.error("--imds needs --moto-on-network (instances reach both on the gateway)")
    args.func(args)


if __name__ == "__main__":
    main()
