"""tools/bench.py's lab side: its private lab and instances, moto, playbook runs and host probes.

Every playbook run is timed (wall clock), charged its controller CPU (the user+sys time of the
ansible-playbook process tree, from os.wait4) and counted: the podman connection calls
tools/bench-podman instead of podman, which writes one line per `podman exec` (container, and
whether it ran a module) before it runs podman itself.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench_report import NotMeasured, changed_tasks, count_execs, parse_recap

REPO = Path(__file__).resolve().parent.parent
TOOLS = REPO / "tools"
LAB_TOOL = REPO / "lab" / "lab.py"
EXEC_RECORDER = TOOLS / "bench-podman"
LAB_LABEL = "io.federated.ssm_runas.lab"
ROLE_LABEL = "io.federated.ssm_runas.role"
BIN = Path(sys.executable).parent


def log(msg: str) -> None:
    print(f"bench: {msg}", file=sys.stderr, flush=True)


@dataclass
class Measured:
    seconds: float
    cpu: float  # user + sys of the child and every descendant it waited for
    rc: int


def run_measured(argv: list[str], **popen) -> Measured:
    """Run argv to its end: wall-clock seconds, the CPU seconds of its process tree, exit code."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, **popen)
    _pid, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.monotonic() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Measured(elapsed, usage.ru_utime + usage.ru_stime, proc.returncode)


def cpu_per_host(cpu: float, hosts: int) -> float:
    if hosts < 1:
        raise ValueError(f"cpu_per_host: {hosts} hosts: a run covers at least one")
    return cpu / hosts


@dataclass
class Run:
    """One ansible-playbook run and what it did."""

    label: str
    seconds: float
    cpu: float
    rc: int
    log: str
    hosts: int
    recap: dict = field(default_factory=dict)
    execs: dict = field(default_factory=dict)  # {host: {modules, execs}}
    changed: dict = field(default_factory=dict)  # {host: [task names]}

    @property
    def ok(self) -> bool:
        return self.rc == 0 and not any(
            c["failed"] or c["unreachable"] for c in self.recap.values()
        )

    @property
    def changed_count(self) -> int:
        return sum(c["changed"] for c in self.recap.values())

    def summary(self) -> dict:
        return {
            "label": self.label,
            "seconds": round(self.seconds, 3),
            "cpu": round(self.cpu, 3),
            "rc": self.rc,
            "log": self.log,
            "hosts": self.hosts,
            "recap": self.recap,
            "execs": self.execs,
        }


def journal_changes(lines: list[str]) -> tuple[list[str], int]:
    """(["<unit> <job>" with "xN" when repeated], daemon reloads) from `journalctl -o json _PID=1`.

    A finished systemd job carries JOB_TYPE (start, stop, restart, reload) and UNIT. A restart
    logs its stop half as "restart" and its start half as "start": the two count as one
    restart. A start skipped for an unmet condition is no start. A reload of systemd itself is
    the message "Reloading." without a unit.
    """
    jobs: dict[str, int] = {}
    last: dict[str, str] = {}
    reloads = 0
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        message = str(entry.get("MESSAGE", ""))
        unit, job = entry.get("UNIT"), entry.get("JOB_TYPE")
        if unit and job and entry.get("JOB_RESULT") == "done":
            if not unit.endswith((".service", ".timer")) or "was skipped because" in message:
                continue
            previous, last[unit] = last.get(unit), job
            if job == "start" and previous == "restart":
                continue
            name = f"{unit.removesuffix('.service')} {job}"
            jobs[name] = jobs.get(name, 0) + 1
        elif not unit and re.fullmatch(r"Reloading(?: requested from .*)?\.?", message):
            reloads += 1
    return [name if n == 1 else f"{name} x{n}" for name, n in jobs.items()], reloads


# Before each timed run the machine must be quiet: a first converge leaves work behind (the
# anchor's PackageKit, apt's timers, SSSD warming up) on the same cores the next run uses.
QUIET_BUSY = 0.25  # at most this share of all CPUs busy...
QUIET_WINDOW = 2.0  # ...over this many seconds
QUIET_MAX_WAIT = 90.0


def cpu_times(text: str) -> tuple[int, int]:
    """(busy, total) jiffies from the first line of /proc/stat."""
    fields = [int(v) for v in text.split("\n", 1)[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)  # idle + iowait
    total = sum(fields[:8])  # guest time is already in user and nice
    return total - idle, total


def busy_share(before: tuple[int, int], after: tuple[int, int]) -> float:
    """The share of all CPUs busy between two cpu_times readings (0.0 - 1.0)."""
    total = after[1] - before[1]
    return (after[0] - before[0]) / total if total > 0 else 0.0


def wait_until_quiet(
    read=lambda: Path("/proc/stat").read_text(),
    sleep=time.sleep,
    limit: float = QUIET_BUSY,
    window: float = QUIET_WINDOW,
    max_wait: float = QUIET_MAX_WAIT,
) -> tuple[float, float]:
    """Wait until a window shows at most `limit` of the CPUs busy, or max_wait has passed.

    Returns (seconds waited, the last window's busy share) for the record.
    """
    waited = 0.0
    last = cpu_times(read())
    while True:
        sleep(window)
        waited += window
        now = cpu_times(read())
        share = busy_share(last, now)
        last = now
        if share <= limit or waited >= max_wait:
            return waited, share


class BenchLab:
    def __init__(self, name: str, out: Path, keep: bool = False):
        self.lab = name
        self.keep = keep
        self.out = out
        self.logs = out / "logs"
        self.inventory = out / "inventory"
        self.prefix = f"ssm-runas-{name}"
        self.state = Path(os.environ.get("SSM_RUNAS_LAB_STATE", REPO / ".lab")) / name
        real_podman = shutil.which("podman") or "podman"
        self.env = dict(
            os.environ,
            ANSIBLE_CONFIG=str(REPO / "ansible.cfg"),
            ANSIBLE_HOME=str(REPO / ".cache" / "ansible"),
            ANSIBLE_LOCAL_TEMP=str(REPO / ".cache" / "ansible" / "tmp"),
            ANSIBLE_NOCOLOR="1",
            ANSIBLE_DEPRECATION_WARNINGS="false",
            ANSIBLE_PODMAN_EXECUTABLE=str(EXEC_RECORDER),
            SSM_RUNAS_BENCH_PODMAN=real_podman,
            CONTAINERS_CONF=os.environ.get(
                "CONTAINERS_CONF", str(REPO / "lab" / "containers.conf")
            ),
            PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
        )
        self.counter = 0
        self.settled: list[dict] = []
        self.lab_up = False
        self.moto: subprocess.Popen | None = None
        self.moto_url = ""

    # lab --------------------------------------------------------------------------------
    def lab_cmd(self, *argv: str) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        if argv[0] == "up":
            self.lab_up = True
        with (self.logs / "lab.log").open("a") as fh:
            proc = subprocess.run(
                [sys.executable, str(LAB_TOOL), *argv, "--name", self.lab],
                env=self.env,
                stdout=fh,
                stderr=subprocess.STDOUT,
                check=False,
            )
        if proc.returncode != 0:
            raise NotMeasured(f"lab.py {argv[0]} --name {self.lab} failed: see {fh.name}")

    def podman(self, *argv: str, stdin: str | None = None) -> str:
        return subprocess.run(
            ["podman", *argv],
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            check=False,
        ).stdout

    def instances(self) -> list[str]:
        """This lab's instance containers, by name, i1 first."""
        names = self.podman(
            "ps",
            "-a",
            "--format",
            "{{.Names}}",
            "--filter",
            f"label={LAB_LABEL}={self.lab}",
            "--filter",
            f"label={ROLE_LABEL}=instance",
        ).split()
        return sorted(names, key=lambda n: int(n.rsplit("-i", 1)[-1]) if n[-1].isdigit() else 0)

    def fresh_instances(self, count: int) -> list[str]:
        """count brand-new debian12 instances (i1..iN); the lab's DC stays (and keeps its state)."""
        names = self.instances()
        if names:
            subprocess.run(
                ["podman", "rm", "-f", "-t", "2", *names],
                env=self.env,
                capture_output=True,
                check=False,
            )
        self.lab_cmd("up", "--no-moto", *(["--instance", "debian12"] * count))
        names = self.instances()
        if len(names) != count:
            raise NotMeasured(f"lab.py up made {len(names)} instances, not {count}: see lab.log")
        return names

    def clear_leftovers(self) -> None:
        self.kill_own_moto()
        self.lab_cmd("down")

    def teardown(self) -> None:
        self.kill_own_moto()
        if self.lab_up and not self.keep:
            log(f"taking lab {self.lab!r} down")
            with contextlib.suppress(NotMeasured):
                self.lab_cmd("down")

    # what a first converge did on a host -----------------------------------------------
    def packages(self, container: str) -> set[str]:
        out = self.podman("exec", container, "dpkg-query", "-W", "-f", "${Package}\\n")
        return set(out.split())

    def host_before(self, container: str) -> dict:
        return {"packages": self.packages(container), "since": int(time.time()) - 1}

    def host_after(self, container: str, before: dict) -> dict:
        """Packages installed since host_before, systemd jobs that ran, systemd reloads."""
        after = self.packages(container)
        journal = self.podman(
            "exec", container, "journalctl", "--no-pager", "-o", "json", "_PID=1",
            "--since", f"@{before['since']}",
        )  # fmt: skip
        units, reloads = journal_changes(journal.splitlines())
        return {
            "installed": sorted(after - before["packages"]),
            "removed": sorted(before["packages"] - after),
            "units": units,
            "daemon_reloads": reloads,
        }

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
        # Secrets stay in the lab's secrets.json (mode 0600): the inventory names the file and
        # reads it when a task needs the value, so no password is on argv or in this directory.
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

    def playbook(
        self,
        playbook: Path,
        label: str,
        *,
        limit: list[str] | None = None,
        env: dict | None = None,
        extra_vars: Path | None = None,
    ) -> Run:
        """Run a playbook on the bench inventory (optionally limited to some instances)."""
        self.counter += 1
        logfile = self.logs / f"{self.counter:03d}-{label}.log"
        execs = logfile.with_suffix(".execs")
        argv = [str(BIN / "ansible-playbook"), "-i", str(self.inventory), str(playbook)]
        if limit:
            argv += ["--limit", ",".join(limit)]
        if extra_vars:
            argv += ["--extra-vars", f"@{extra_vars}"]  # a file: its values never reach argv
        run_env = dict(self.env, **(env or {}), SSM_RUNAS_BENCH_EXECS=str(execs))
        with logfile.open("w") as fh:
            measured = run_measured(
                argv, cwd=REPO, env=run_env, stdout=fh, stderr=subprocess.STDOUT
            )
        output = logfile.read_text(errors="replace")
        recap = parse_recap(output)
        lines = execs.read_text().splitlines() if execs.exists() else []
        run = Run(
            label=label,
            seconds=measured.seconds,
            cpu=measured.cpu,
            rc=measured.rc,
            log=logfile.name,
            hosts=len(recap) or 1,
            recap=recap,
            execs=count_execs(lines),
            changed=changed_tasks(output),
        )
        log(
            f"{label}: {run.seconds:.1f}s, CPU {run.cpu:.1f}s, rc={run.rc}, "
            f"changed={run.changed_count} ({logfile.name})"
        )
        return run

    def settle(self, label: str) -> None:
        waited, share = wait_until_quiet()
        self.settled.append({"before": label, "waited": waited, "busy": round(share, 3)})
        log(f"settle before {label}: {waited:.0f}s, last {QUIET_WINDOW:.0f}s {share:.0%} busy")

    def floor(self, hosts: list[str], label: str = "floor") -> Run:
        self.settle(label)
        run = self.playbook(self.out / "floor.yml", label, limit=hosts)
        if not run.ok:
            raise NotMeasured(f"the ping play failed (rc={run.rc}): see logs/{run.log}")
        return run
