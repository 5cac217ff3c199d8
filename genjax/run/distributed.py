"""Start-up of a run over several processes (hosts, or processes on one machine).

Where each process learns the cluster, in order: the config's ``distributed`` section, the
environment (``JAX_COORDINATOR_ADDRESS``, ``JAX_NUM_PROCESSES``, ``JAX_PROCESS_ID``, as
``experiments.launch`` sets them), else JAX's own detection (SLURM, Open MPI, Kubernetes,
Cloud TPU). On CPU the processes talk through gloo.
"""

import dataclasses
import os
from collections.abc import Mapping

import jax

from genjax.checks import check_at_least, read_section

ENV = {
    "coordinator_address": "JAX_COORDINATOR_ADDRESS",
    "num_processes": "JAX_NUM_PROCESSES",
    "process_id": "JAX_PROCESS_ID",
}


@dataclasses.dataclass(frozen=True)
class DistributedConfig:
    """``config.distributed``, read when ``config.multihost`` is on.

    Attributes:
      coordinator_address: host:port of process 0's coordinator ("" = from the environment).
      num_processes: the number of processes (0 = from the environment).
      process_id: this process (-1 = from the environment).
      heartbeat_timeout: seconds without a heartbeat before a process counts as dead and the
        others stop with an error.
    """

    coordinator_address: str = ""
    num_processes: int = 0
    process_id: int = -1
    heartbeat_timeout: int = 60

    def __post_init__(self):
        check_at_least("distributed.num_processes", self.num_processes, 0)
        check_at_least("distributed.process_id", self.process_id, -1)
        check_at_least("distributed.heartbeat_timeout", self.heartbeat_timeout, 5)

    @classmethod
    def read(cls, section: Mapping | None, strict: bool = True) -> "DistributedConfig":
        return read_section(
            section, cls, "distributed", owner="multi-process start-up", strict=strict
        )


def cluster(cfg: DistributedConfig, environ: Mapping[str, str] = os.environ) -> dict:
    """The arguments of ``jax.distributed.initialize``: each from the config when set, else
    from the environment, else None (JAX detects it). One-line error on a malformed value."""
    given = {
        "coordinator_address": cfg.coordinator_address or None,
        "num_processes": cfg.num_processes or None,
        "process_id": cfg.process_id if cfg.process_id >= 0 else None,
    }
    for name, var in ENV.items():
        if given[name] is None and environ.get(var):
            value = environ[var]
            if name != "coordinator_address":
                if not value.isdigit():
                    raise ValueError(f"{var}={value!r} must be a whole number >= 0")
                value = int(value)
            given[name] = value
    n, i = given["num_processes"], given["process_id"]
    if n is not None and i is not None and not 0 <= i < n:
        raise ValueError(f"process id {i} is outside 0..{n - 1} ({n} processes)")
    return given


def start(cfg: DistributedConfig) -> None:
    """Join the cluster (call before anything touches a device)."""
    if jax.distributed.is_initialized():
        return
    jax.config.update("jax_cpu_collectives_implementation", "gloo")
    jax.distributed.initialize(**cluster(cfg), heartbeat_timeout_seconds=cfg.heartbeat_timeout)
