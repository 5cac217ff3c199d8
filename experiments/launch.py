"""Run one training command as N processes on this machine, as on N hosts: each process gets
the coordinator's address, the process count and its id in its environment
(``JAX_COORDINATOR_ADDRESS``, ``JAX_NUM_PROCESSES``, ``JAX_PROCESS_ID``) and, on CPU,
``--devices_per_process`` devices. SIGTERM and Ctrl-C are passed on to every process (they save
and exit: a preemption); when one process fails, the others get ``--grace`` seconds to stop
on their own (a process that loses a peer stops after ``distributed.heartbeat_timeout``), then
are stopped, and the launcher exits with a one-line error. Each process's whole output goes to
``<workdir>/launch/process_<i>.log``; the launcher shows what a single process would print
(process 0's results, and every process's ``error:``/``warning:`` lines).
  python -m experiments.launch --processes=2 --devices_per_process=4 -- \\
      --config=configs/vae.py --workdir=runs/vae_2proc
"""

import os
import queue
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from absl import flags

from experiments.common import run

FLAGS = flags.FLAGS
flags.DEFINE_integer("processes", 2, "Number of processes.")
flags.DEFINE_integer("devices_per_process", 0, "CPU devices per process (0: leave XLA_FLAGS).")
flags.DEFINE_string("module", "experiments.train", "The module each process runs.")
flags.DEFINE_integer("grace", 90, "Seconds the others get to stop after one process fails.")


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_env(index: int, count: int, port: int, devices: int) -> dict[str, str]:
    """The environment of process ``index`` of ``count``."""
    env = dict(os.environ)
    env.update(
        JAX_COORDINATOR_ADDRESS=f"127.0.0.1:{port}",
        JAX_NUM_PROCESSES=str(count),
        JAX_PROCESS_ID=str(index),
    )
    if devices:
        env["XLA_FLAGS"] = " ".join(
            [env.get("XLA_FLAGS", ""), f"--xla_force_host_platform_device_count={devices}"]
        ).strip()
    return env


def _describe(code: int) -> str:
    return f"killed by {signal.Signals(-code).name}" if code < 0 else f"exit code {code}"


def supervise(procs: list[subprocess.Popen], grace: float) -> int:
    """Wait for every process; after the first failure, give the rest ``grace`` seconds, then
    stop them. Returns 0, or raises a one-line error naming the first process that failed.

    One thread waits on each process, so exits are seen in the order they happen: a killed
    process's peer aborts milliseconds later, within one polling period."""
    exits: queue.Queue = queue.Queue()
    for i, p in enumerate(procs):
        threading.Thread(target=lambda i=i, p=p: exits.put((i, p.wait())), daemon=True).start()
    failed, deadline = None, None
    for _ in procs:
        try:
            timeout = None if deadline is None else max(deadline - time.monotonic(), 0.0)
            i, code = exits.get(timeout=timeout)
        except queue.Empty:  # the grace period is over: stop the rest
            for p in procs:
                if p.returncode is None:
                    p.kill()
            i, code = exits.get()
        if code and failed is None:
            failed, deadline = (i, code), time.monotonic() + grace
    if failed is not None:
        i, code = failed
        others = [
            f"process {j} {'was stopped' if p.returncode == -signal.SIGKILL else 'stopped'} "
            f"({_describe(p.returncode)})"
            for j, p in enumerate(procs)
            if j != i and p.returncode
        ]
        then = f"; then {', '.join(others)}" if others else ""
        raise RuntimeError(f"process {i} of {len(procs)} failed ({_describe(code)}){then}")
    return 0


SHOWN = ("error:", "warning:", "preempted:", "summary:", "sample quality:")


def _relay(stream, log_path: str, shown: set[str], lock: threading.Lock) -> None:
    """Copy a process's output to its log; show the lines a single process would show, once
    (every process refuses a bad config with the same line)."""
    with open(log_path, "w") as log:
        for line in stream:
            log.write(line)
            log.flush()
            if line.startswith(SHOWN):
                with lock:
                    if line not in shown:
                        shown.add(line)
                        sys.stdout.write(line)
                        sys.stdout.flush()


def _log_dir(args: list[str]) -> str:
    workdir = next((a.split("=", 1)[1] for a in args if a.startswith("--workdir=")), None)
    path = os.path.join(workdir, "launch") if workdir else tempfile.mkdtemp(prefix="launch_")
    os.makedirs(path, exist_ok=True)
    return path


def main(argv: list[str]) -> None:
    args = argv[1:]
    if FLAGS.processes < 1 or FLAGS.devices_per_process < 0:
        raise ValueError("--processes must be >= 1 and --devices_per_process >= 0")
    logs, port = _log_dir(args), free_port()
    command = [sys.executable, "-u", "-m", FLAGS.module, *args, "--config.multihost=True"]
    procs, relays, shown, lock = [], [], set(), threading.Lock()
    for i in range(FLAGS.processes):
        env = process_env(i, FLAGS.processes, port, FLAGS.devices_per_process)
        p = subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        path = os.path.join(logs, f"process_{i}.log")
        relays.append(
            threading.Thread(target=_relay, args=(p.stdout, path, shown, lock), daemon=True)
        )
        relays[-1].start()
        procs.append(p)
    forward = lambda signum, frame: [p.send_signal(signum) for p in procs if p.poll() is None]
    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    try:
        supervise(procs, FLAGS.grace)
    except RuntimeError as err:
        raise RuntimeError(f"{err}; logs: {logs}/process_*.log") from None
    finally:
        for t in relays:
            t.join(timeout=5)


def cli() -> int:
    """The console script ``genjax-launch``."""
    return run(main, (RuntimeError,))


if __name__ == "__main__":
    sys.exit(cli())
