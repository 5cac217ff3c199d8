"""Device mesh and shardings: data parallel over one ``data`` axis, parameters replicated."""

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P


def make_mesh(num_devices: int = 0) -> Mesh:
    """A 1-D mesh named ``data`` over the first ``num_devices`` devices (0: all of them)."""
    devices = jax.devices()
    n = num_devices or len(devices)
    if n > len(devices):
        raise ValueError(f"asked for {n} devices but only {len(devices)} are visible")
    return Mesh(np.asarray(devices[:n]), ("data",))


def data_sharding(mesh: Mesh) -> NamedSharding:
    """Split the leading (batch) axis over the data axis."""
    return NamedSharding(mesh, P("data"))


def stacked_data_sharding(mesh: Mesh) -> NamedSharding:
    """Batches stacked [K, B, ...] for K steps per call: axis 1 split over the data axis."""
    return NamedSharding(mesh, P(None, "data"))


def replicated(mesh: Mesh) -> NamedSharding:
    """Same value on every device."""
    return NamedSharding(mesh, P())


def check_batch_size(global_batch: int, mesh: Mesh, what: str = "train.batch_size") -> None:
    """One-line error when a global batch cannot be split evenly over the devices."""
    n = mesh.devices.size
    if global_batch % n:
        raise ValueError(
            f"{what}={global_batch} is not divisible by the {n} devices of the mesh; "
            f"use a multiple of {n} (e.g. --config.{what}={max(n, global_batch // n * n)})"
        )
    if global_batch % jax.process_count():
        raise ValueError(f"{what}={global_batch} is not divisible by {jax.process_count()} hosts")
