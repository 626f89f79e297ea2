#!/usr/bin/env python3
"""`make bench`: performance figures measured side by side in one run, as ratios.

Every timed figure is divided by Ansible's own floor (a one-task ping play over the same hosts)
measured right next to it, so machine noise cancels; counted figures (AWS API calls, WinRM
round trips) need no denominator. Each figure is the median of --runs runs with min and max.
A figure whose prerequisite is missing prints "not measured: <reason>" instead of failing.

The benchmark uses its own private lab (--lab, default "bench": own network, DC and
instances) and its own moto server, clears leftovers of that lab by label first and takes it
down at the end, so `make bench` never touches the main `lab`.

    tools/bench.py [--runs 3] [--only floor,linux,scale,aws,adfs,lsr] [--scale 4,8]
                   [--lab bench] [--out .cache/bench] [--keep]
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import importlib.util
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
LAB_TOOL = REPO / "lab" / "lab.py"
LAB_LABEL = "io.federated.ssm_runas.lab"
ROLE_LABEL = "io.federated.ssm_runas.role"
BIN = Path(sys.executable).parent
SECTIONS = ("floor", "linux", "scale", "aws", "adfs", "lsr")
LSR_COLLECTION = "fedora.linux_system_roles"
# Probed in this repository's environment (pip index / apt-cache / npm view), see
# docs/performance.md: only PyPI, Debian and npm are reachable, none of them carries it.
LSR_REASON = (
    "linux-system-roles ad_integration is published only on Galaxy "
    f"({LSR_COLLECTION}) and GitHub, neither reachable here; PyPI has no such "
    "distribution, the ansible 14.5.0 wheel does not bundle it, Debian has no package and "
    "npm answers 404"
)


class NotMeasured(Exception):
    """A figure's prerequisite is missing; the message is the reason shown in the table."""


# ---------------------------------------------------------------------------------------
# figures and statistics


@dataclass
class Figure:
    key: str
    title: str
    unit: str  # "x floor", "x 1 instance", "calls", "round trips", "s"
    target: str = ""  # e.g. "<= 2.5"
    samples: list[float] = field(default_factory=list)
    raw: list[dict] = field(default_factory=list)  # per-run details (seconds, recap, calls)
    reason: str = ""  # set when not measured
    note: str = ""

    @property
    def measured(self) -> bool:
        return bool(self.samples) and not self.reason

    def summary(self) -> dict:
        if not self.measured:
            return {}
        return {
            "median": statistics.median(self.samples),
            "min": min(self.samples),
            "max": max(self.samples),
            "runs": len(self.samples),
        }

    def verdict(self) -> str:
        if not self.measured or not self.target:
            return ""
        return "met" if meets(statistics.median(self.samples), self.target) else "MISSED"


def meets(value: float, target: str) -> bool:
    """True when value satisfies a target like '<= 2.5', '== 0', '< 3'."""
    match = re.fullmatch(r"\s*(<=|>=|==|<|>)\s*([0-9.]+)\s*", target)
    if not match:
        raise ValueError(f"target {target!r}: write it as '<= 2.5', '== 0', ...")
    op, limit = match.group(1), float(match.group(2))
    return {
        "<=": value <= limit,
        ">=": value >= limit,
        "==": value == limit,
        "<": value < limit,
        ">": value > limit,
    }[op]


def fmt(value: float, unit: str) -> str:
    if unit in ("calls", "round trips"):
        return f"{value:g}"
    if unit == "s":
        return f"{value:.2f} s"
    return f"{value:.2f}x"


def markdown(figures: list[Figure], header: dict) -> str:
    lines = [
        f"Measured {header['date']} on {header['machine']} ({header['runs']} runs each; "
        "median, min-max).",
        "",
        "| figure | median | min - max | runs | target | result |",
        "|---|---|---|---|---|---|",
    ]
    for fig in figures:
        if not fig.measured:
            reason = fig.reason or "no samples"
            lines.append(f"| {fig.title} | not measured: {reason} | | | {fig.target} | |")
            continue
        s = fig.summary()
        spread = f"{fmt(s['min'], fig.unit)} - {fmt(s['max'], fig.unit)}"
        title = f"{fig.title} ({fig.note})" if fig.note else fig.title
        lines.append(
            f"| {title} | {fmt(s['median'], fig.unit)} | {spread} | {s['runs']} | "
            f"{fig.target} | {fig.verdict()} |"
        )
    return "\n".join(lines) + "\n"


def text_table(figures: list[Figure]) -> str:
    rows = [("figure", "median", "min - max", "runs", "target", "result")]
    for fig in figures:
        if not fig.measured:
            rows.append((fig.title, f"not measured: {fig.reason or 'no samples'}", "", "", "", ""))
            continue
        s = fig.summary()
        rows.append(
            (
                fig.title,
                fmt(s["median"], fig.unit),
                f"{fmt(s['min'], fig.unit)} - {fmt(s['max'], fig.unit)}",
                str(s["runs"]),
                fig.target,
                fig.verdict(),
            )
        )
    widths = [max(len(r[i]) for r in rows if len(r[1]) < 60 or i != 1) for i in range(6)]
    out = []
    for row in rows:
        if row[1].startswith("not measured"):
            out.append(f"{row[0]:<{widths[0]}}  {row[1]}")
        else:
            out.append("  ".join(f"{c:<{w}}" for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(out) + "\n"


RECAP = re.compile(r"^(\S+)\s+:\s+ok=(\d+)\s+changed=(\d+)\s+unreachable=(\d+)\s+failed=(\d+)")


def parse_recap(output: str) -> dict[str, dict[str, int]]:
    """{host: {ok, changed, unreachable, failed}} from ansible-playbook's PLAY RECAP."""
    recap = {}
    for line in output.splitlines():
        match = RECAP.match(line.strip())
        if match:
            host, *counts = match.groups()
            recap[host] = dict(
                zip(("ok", "changed", "unreachable", "failed"), map(int, counts), strict=True)
            )
    return recap


# ---------------------------------------------------------------------------------------
# running things


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


class Bench:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.lab = args.lab
        self.out = Path(args.out)
        self.logs = self.out / "logs"
        self.inventory = self.out / "inventory"
        self.state = Path(os.environ.get("SSM_RUNAS_LAB_STATE", REPO / ".lab")) / self.lab
        self.env = dict(
            os.environ,
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_HOME=str(REPO / ".cache" / "ansible"),
            ANSIBLE_LOCAL_TEMP=str(REPO / ".cache" / "ansible" / "tmp"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_DEPRECATION_WARNINGS="false",
            CONTAINERS_CONF=os.environ.get(
                "CONTAINERS_CONF", str(REPO / "lab" / "containers.conf")
            ),
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        self.counter = 0
        self.lab_up = False
        self.moto: subprocess.Popen | None = None
        self.moto_url = ""

    # lab --------------------------------------------------------------------------------
    def lab_cmd(self, *argv: str) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        with (self.logs / "lab.log").open("a") as fh:
            proc = subprocess.run(
                [sys.executable, str(LAB_TOOL), *argv, "--name", self.lab],
                env=self.env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if argv[0] == "up":
            self.lab_up = True
        if proc.returncode != 0:
            raise NotMeasured(f"lab.py {argv[0]} --name {self.lab} failed: see {fh.name}")

    def podman(self, *argv: str) -> str:
        return subprocess.run(
            ["podman", *argv], env=self.env, capture_output=True, text=True, check=False
        ).stdout

    def instances(self) -> list[str]:
        return self.podman(
            "ps",
            "-aq",
            "--filter",
            f"label={LAB_LABEL}={self.lab}",
            "--filter",
            f"label={ROLE_LABEL}=instance",
        ).split()

    def fresh_instances(self, count: int) -> None:
        """count brand-new debian12 instances; the lab's DC stays (and keeps its state)."""
        ids = self.instances()
        if ids:
            subprocess.run(
                ["podman", "rm", "-f", "-t", "2", *ids],
                env=self.env,
                capture_output=True,
                check=False,
            )
        self.lab_cmd("up", "--no-moto", *(["--instance", "debian12"] * count))
        self.lab_up = True

    def clear_leftovers(self) -> None:
        self.kill_own_moto()
        self.lab_cmd("down")

    def teardown(self) -> None:
        self.kill_own_moto()
        if self.lab_up and not self.args.keep:
            log(f"taking lab {self.lab!r} down")
            self.lab_cmd("down")

    # moto with a request recorder --------------------------------------------------------
    @property
    def moto_pidfile(self) -> Path:
        return self.out / "moto.pid"

    def kill_own_moto(self) -> None:
        if self.moto is not None:
            self.moto.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.moto.wait(timeout=10)
            self.moto = None
        if self.moto_pidfile.exists():
            pid = int(self.moto_pidfile.read_text().split()[0])
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGTERM)
            self.moto_pidfile.unlink()

    def start_moto(self) -> str:
        server = BIN / "moto_server"
        if not server.exists():
            raise NotMeasured(f"{server} missing: run `make setup`")
        with contextlib.closing(socket.socket()) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        workdir = self.out / "moto"
        workdir.mkdir(parents=True, exist_ok=True)
        env = dict(self.env, MOTO_RECORDER_FILEPATH=str(workdir / "recording"))
        with (self.logs / "moto.log").open("ab") as fh:
            self.moto = subprocess.Popen(
                [str(server), "-H", "127.0.0.1", "-p", str(port)],
                stdout=fh,
                stderr=subprocess.STDOUT,
                env=env,
                start_new_session=True,
            )
        self.moto_pidfile.write_text(f"{self.moto.pid} {port}\n")
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            with contextlib.suppress(OSError):
                # A loopback http URL built just above.
                urllib.request.urlopen(f"{url}/moto-api/", timeout=2).close()  # noqa: S310
                break
            if self.moto.poll() is not None or time.monotonic() > deadline:
                raise NotMeasured("moto_server did not start: see logs/moto.log")
            time.sleep(0.2)
        self.moto_url = url
        return url

    # inventory and playbooks -------------------------------------------------------------
    def write_inventory(self) -> None:
        """A private inventory: the lab's data model, this lab's instances and secrets."""
        inv = self.inventory
        shutil.rmtree(inv, ignore_errors=True)
        (inv / "group_vars" / "all").mkdir(parents=True)
        (inv / "01-instances.podman_containers.yml").write_text(
            "---\nplugin: containers.podman.podman_containers\nlabel_selectors:\n"
            f"  {LAB_LABEL}: {self.lab}\n  {ROLE_LABEL}: instance\n"
            "group_by_image: false\ngroups:\n  ssm_instances: true\n"
        )
        (inv / "02-controller.yml").write_text(
            "---\nall:\n  children:\n    aws_accounts:\n      hosts:\n        bench-account:\n"
            "          ansible_connection: local\n"
            '          ansible_python_interpreter: "{{ ansible_playbook_python }}"\n'
        )
        # The one data model of the lab environment, unchanged.
        shutil.copy(
            REPO / "inventories" / "lab" / "group_vars" / "all" / "ssm_runas.yml",
            inv / "group_vars" / "all" / "ssm_runas.yml",
        )
        (inv / "group_vars" / "all" / "bench.yml").write_text(
            "---\n"
            f'bench_state_dir: "{self.state}"\n'
            "bench_secrets: \"{{ lookup('ansible.builtin.file', bench_state_dir ~ "
            "'/secrets.json') | from_json }}\"\n"
            "ad_join_user: Administrator\n"
            'ad_join_password: "{{ bench_secrets.admin_password }}"\n'
            "aws_federation_connection:\n"
            f'  endpoint_url: "{self.moto_url or "http://127.0.0.1:1"}"\n'
            "  access_key: bench-access-key\n  secret_key: bench-secret\n"
            "aws_federation_saml_metadata_file: "
            '"{{ bench_state_dir }}/adfs-federation-metadata.xml"\n'
            f'adfs_claims_export_dir: "{self.out}/adfs"\n'
        )
        (self.out / "floor.yml").write_text(
            "---\n- name: Ansible's floor, one ping per host\n  hosts: ssm_instances\n"
            "  gather_facts: false\n  become: true\n  tasks:\n"
            "    - name: Host answers\n      ansible.builtin.ping:\n"
        )

    def playbook(self, playbook: Path, label: str) -> tuple[float, dict, int]:
        """Run a playbook on the bench inventory: (seconds, recap, rc); output in logs/."""
        self.counter += 1
        logfile = self.logs / f"{self.counter:03d}-{label}.log"
        argv = [str(BIN / "ansible-playbook"), "-i", str(self.inventory), str(playbook)]
        started = time.monotonic()
        with logfile.open("w") as fh:
            proc = subprocess.run(
                argv, cwd=REPO, env=self.env, stdout=fh, stderr=subprocess.STDOUT, check=False
            )
        elapsed = time.monotonic() - started
        recap = parse_recap(logfile.read_text(errors="replace"))
        log(f"{label}: {elapsed:.1f}s rc={proc.returncode} ({logfile.name})")
        return elapsed, recap, proc.returncode

    def floor(self) -> float:
        seconds, _recap, rc = self.playbook(self.out / "floor.yml", "floor")
        if rc != 0:
            raise NotMeasured(f"the ping play failed (rc={rc}): see {self.logs}")
        return seconds


# ---------------------------------------------------------------------------------------
# prerequisites


def role_missing(role: str) -> str:
    """Why a role cannot run yet, or '' when it can."""
    tasks = REPO / "roles" / role / "tasks" / "main.yml"
    if not tasks.exists():
        return f"role {role} is not in this checkout (roles/{role}/tasks/main.yml missing)"
    return ""


def tools_missing() -> str:
    for tool in ("podman", "ansible-playbook"):
        if not shutil.which(tool, path=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"):
            return f"{tool} not found: run `make setup`"
    return ""


def load_module(name: str, path: Path):
    if not path.exists():
        raise NotMeasured(f"{path.relative_to(REPO)} is missing")
    collections = str(REPO / "collections")
    if collections not in sys.path:
        sys.path.insert(0, collections)
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


# ---------------------------------------------------------------------------------------
# the figures


def linux_run(bench, run, *, floor, first, rerun, scale, want) -> None:
    """One side-by-side run: floor, first converge, floor, re-run, then each scale."""
    playbook = REPO / "playbooks" / "linux.yml"
    bench.fresh_instances(1)
    floor_s = bench.floor()
    floor.samples.append(floor_s)
    floor.raw.append({"run": run, "seconds": floor_s})
    if not {"linux", "scale"} & want:
        return
    first_s, recap, rc = bench.playbook(playbook, f"linux-first-r{run}")
    if rc != 0:
        raise NotMeasured(f"playbooks/linux.yml failed on a fresh instance (rc={rc})")
    first.samples.append(first_s / floor_s)
    first.raw.append({"run": run, "seconds": first_s, "floor": floor_s, "recap": recap})
    floor2 = bench.floor()
    again_s, recap, rc = bench.playbook(playbook, f"linux-rerun-r{run}")
    if rc != 0:
        raise NotMeasured(f"playbooks/linux.yml re-run failed (rc={rc})")
    changed = sum(h["changed"] for h in recap.values())
    rerun.samples.append(again_s / floor2)
    rerun.raw.append({"run": run, "seconds": again_s, "floor": floor2, "recap": recap})
    if changed:
        rerun.note = f"NOT idempotent: changed={changed}"
    for n, fig in scale.items():
        bench.fresh_instances(n)
        seconds, recap, rc = bench.playbook(playbook, f"join-{n}-r{run}")
        failed = sorted(h for h, c in recap.items() if c["failed"] or c["unreachable"])
        if rc != 0 or failed:
            fig.reason = f"run {run}: join of {n} failed (rc={rc}, hosts {failed})"
            continue
        fig.samples.append(seconds / first_s)
        fig.raw.append({"run": run, "seconds": seconds, "one": first_s, "hosts": n})


def linux_figures(bench: Bench, runs: int, scales: list[int], want: set[str]) -> list[Figure]:
    floor = Figure("floor", "Ansible floor: one-task ping play, 1 instance", "s")
    first = Figure("linux_first", "Linux first converge (ad_join + ad_sudoers) / floor", "x floor")
    rerun = Figure("linux_rerun", "Linux idempotent re-run / floor", "x floor", "<= 2.5")
    scale = {
        n: Figure(f"scale_{n}", f"Join {n} instances in parallel / join 1", "x 1 instance", "<= 2")
        for n in scales
    }
    figures = [floor, first, rerun, *scale.values()]
    blocked = tools_missing() or role_missing("ad_join") or role_missing("ad_sudoers")
    if blocked:
        for fig in figures:
            fig.reason = blocked
        floor.reason = blocked if "floor" in want else "not selected"
        return figures
    try:
        for run in range(1, runs + 1):
            log(f"linux run {run}/{runs}")
            sel = scale if "scale" in want else {}
            linux_run(bench, run, floor=floor, first=first, rerun=rerun, scale=sel, want=want)
    except NotMeasured as exc:
        for fig in figures:
            if not fig.samples:
                fig.reason = str(exc)
    if "linux" not in want:
        first.reason = rerun.reason = "not selected"
    if "scale" not in want:
        for fig in scale.values():
            fig.reason = "not selected"
    return figures


def aws_figures(bench: Bench, runs: int) -> list[Figure]:
    calls = Figure("aws_calls", "AWS idempotent run (aws.yml on moto): API calls", "calls")
    # 12 reads, and two for the account guard (GetCallerIdentity, ListAccountAliases).
    calls.target = "<= 14"
    writes = Figure("aws_writes", "AWS idempotent run: write calls", "calls", "== 0")
    figures = [calls, writes]
    try:
        if reason := role_missing("aws_federation") or tools_missing():
            raise NotMeasured(reason)
        # The AWS teammate's moto request-log counter, reused as is.
        harness = load_module(
            "bench_aws_harness", REPO / "tests" / "integration" / "iam_eval" / "harness.py"
        )
        bench.start_moto()
        bench.lab_cmd("up", "--aws-only", "--no-moto")  # secrets + SAML metadata only
        bench.write_inventory()
        playbook = REPO / "playbooks" / "aws.yml"
        _s, _recap, rc = bench.playbook(playbook, "aws-converge")
        if rc != 0:
            raise NotMeasured(f"playbooks/aws.yml failed against moto (rc={rc})")
        for run in range(1, runs + 1):
            harness.recorder(bench.moto_url, "reset-recording")
            harness.recorder(bench.moto_url, "start-recording")
            try:
                seconds, recap, rc = bench.playbook(playbook, f"aws-idempotent-r{run}")
            finally:
                harness.recorder(bench.moto_url, "stop-recording")
            if rc != 0:
                raise NotMeasured(f"idempotent playbooks/aws.yml failed (rc={rc})")
            made = harness.recorded_calls(bench.moto_url)
            written = [c for c in made if harness.is_write(c[1])]
            calls.samples.append(len(made))
            writes.samples.append(len(written))
            detail = {"run": run, "seconds": seconds, "calls": made, "recap": recap}
            calls.raw.append(detail)
            writes.raw.append({"run": run, "writes": written})
    except NotMeasured as exc:
        for fig in figures:
            fig.reason = str(exc)
    finally:
        bench.kill_own_moto()
    return figures


def adfs_figures(runs: int) -> list[Figure]:
    change = Figure("adfs_change", "ADFS upsert with a change: WinRM round trips", "round trips")
    change.target = "== 2"
    same = Figure("adfs_same", "ADFS upsert without a change: WinRM round trips", "round trips")
    same.target = "== 1"
    try:
        # The ADFS teammate's fake rule store and action driver, reused as is.
        fake = load_module("bench_adfs_fake", REPO / "tests" / "unit" / "test_adfs_action.py")
        for run in range(1, runs + 1):
            with tempfile.TemporaryDirectory(prefix="bench-adfs-") as tmp:
                store = fake.FakeAdfs()
                fake.run(store, Path(tmp))
                trips = store.reads + store.writes + store.trusts_created
                change.samples.append(trips)
                change.raw.append({"run": run, "reads": store.reads, "writes": store.writes})
                store.reads = store.writes = store.trusts_created = 0
                fake.run(store, Path(tmp))
                trips = store.reads + store.writes + store.trusts_created
                same.samples.append(trips)
                same.raw.append({"run": run, "reads": store.reads, "writes": store.writes})
    except (NotMeasured, ImportError, AttributeError) as exc:
        for fig in (change, same):
            fig.reason = str(exc)
    for fig in (change, same):
        fig.note = "fake AD FS store; counts calls the action makes over the connection"
    return [change, same]


def lsr_figure(bench: Bench) -> Figure:
    fig = Figure("lsr_rerun", "linux-system-roles ad_integration re-run / floor", "x floor")
    proc = subprocess.run(
        [str(BIN / "ansible-galaxy"), "collection", "list", LSR_COLLECTION],
        env=bench.env,
        capture_output=True,
        text=True,
        check=False,
    )
    if LSR_COLLECTION not in proc.stdout:
        fig.reason = LSR_REASON
    else:
        fig.reason = (
            f"{LSR_COLLECTION} is installed but this benchmark has no driver for it yet "
            "(FACTS §4 gives 12.95 s vs 1.73 s floor, 7.5x, measured elsewhere)"
        )
    return fig


# ---------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median of them)")
    parser.add_argument("--only", default=",".join(SECTIONS), help=",".join(SECTIONS))
    parser.add_argument("--scale", default="4,8", help="instance counts for the scale figure")
    parser.add_argument("--lab", default="bench", help="private lab name (never 'lab')")
    parser.add_argument("--out", default=str(REPO / ".cache" / "bench"))
    parser.add_argument("--keep", action="store_true", help="leave the bench lab up")
    args = parser.parse_args(argv)
    args.sections = set(filter(None, args.only.split(",")))
    unknown = args.sections - set(SECTIONS)
    if unknown:
        parser.error(f"--only {','.join(sorted(unknown))}: choose from {','.join(SECTIONS)}")
    if args.lab == "lab":
        parser.error("--lab lab is the user's main lab: pick a private name")
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    args.scales = [int(n) for n in args.scale.split(",") if n]
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    bench = Bench(args)
    shutil.rmtree(bench.logs, ignore_errors=True)
    bench.logs.mkdir(parents=True, exist_ok=True)
    figures: list[Figure] = []
    started = time.monotonic()
    stop: Callable[[int, object], None] = lambda *_: sys.exit(130)  # noqa: E731
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        if args.sections & {"adfs"}:
            figures += adfs_figures(args.runs)
        if args.sections & {"aws"}:
            bench.clear_leftovers()
            figures += aws_figures(bench, args.runs)
        if args.sections & {"floor", "linux", "scale"}:
            bench.clear_leftovers()
            bench.write_inventory()
            figures += linux_figures(bench, args.runs, args.scales, args.sections)
        if "lsr" in args.sections:
            figures.append(lsr_figure(bench))
    finally:
        bench.teardown()
        signal.signal(signal.SIGTERM, previous)
    header = {
        "date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "runs": args.runs,
        "lab": args.lab,
        "seconds": round(time.monotonic() - started),
    }
    md = markdown(figures, header)
    (bench.out / "bench.md").write_text(md)
    (bench.out / "bench.json").write_text(
        json.dumps(
            {
                "header": header,
                "figures": [
                    dict(asdict(f), summary=f.summary(), verdict=f.verdict()) for f in figures
                ],
            },
            indent=2,
        )
        + "\n"
    )
    print(text_table(figures), end="")
    print(f"\nbench: {bench.out / 'bench.md'} and bench.json; logs in {bench.logs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
