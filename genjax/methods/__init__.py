"""Families by name. An explicit dict: config.method -> make(config, info) -> Method."""

import functools

from genjax.methods import (
    autoencoder,
    dbn,
    diffusion,
    gan,
    helmholtz,
    rbm,
    sparse_coding,
    vae,
    vaegan,
)
from genjax.methods.base import DataInfo, Method, Player

METHODS = {
    "autoencoder": functools.partial(autoencoder.make, sparse=False),
    "sparse_autoencoder": functools.partial(autoencoder.make, sparse=True),
    "vae": functools.partial(vae.make, variant="vae"),
    "beta_vae": functools.partial(vae.make, variant="beta_vae"),
    "cvae": functools.partial(vae.make, variant="cvae"),
    "iwae": functools.partial(vae.make, variant="iwae"),
    "gan": functools.partial(gan.make, variant="gan"),
    "cgan": functools.partial(gan.make, variant="cgan"),
    "vaegan": vaegan.make,
    "diffusion": diffusion.make,
    "rbm": rbm.make,
    "dbn": dbn.make,
    "sparse_coding": sparse_coding.make,
    "helmholtz": helmholtz.make,
}


def get_method(name: str):
    """The ``make`` function of method ``name``, or a one-line error listing valid names."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; valid methods: {', '.join(sorted(METHODS))}")
    return METHODS[name]


__all__ = ["METHODS", "DataInfo", "Method", "Player", "get_method"]
