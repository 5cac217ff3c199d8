"""Methods (layer 2): each family composes models and losses into a ``Method`` of pure
functions, from its typed settings.

``config.method`` names a ``Family`` in the explicit dict ``METHODS``: ``family.read(config)``
turns the sections the method owns into a frozen dataclass once (one-line errors for unknown
fields, fields that do not apply to the method, and bad values, before any data is loaded);
``family.build(settings, info)`` returns the Method for data described by ``info``.

May import: ``genjax.data``, ``genjax.checks``, ``genjax.optim`` and the pure layer (models,
losses, diffusion, energy, inference) — never ``genjax.train``, ``genjax.eval`` or
``genjax.run``.
"""

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any

from genjax.data.info import DataInfo
from genjax.methods import (
    autoencoder,
    autoregressive,
    cyclegan,
    dbn,
    diffusion,
    gan,
    helmholtz,
    pix2pix,
    rbm,
    sparse_coding,
    vae,
    vaegan,
    vdm,
)
from genjax.methods.base import Method, Player, stateless
from genjax.methods.common import NLL_FIELDS


@dataclasses.dataclass(frozen=True, kw_only=True)
class Family:
    """How one ``config.method`` is read and built.

    Attributes:
      read: (config, strict) -> the method's typed settings.
      build: (settings, info) -> Method.
      sections: the top-level config sections the method owns (model, loss, rbm, ...).
      borrows: config -> {spine section: the method's own fields in it} (eval.nll_samples,
        train.n_critic, the players' optim.<player> overrides), left alone by the spine.
    """

    read: Callable[[Mapping, bool], Any]
    build: Callable[[Any, DataInfo], Method]
    sections: tuple[str, ...]
    borrows: Callable[[Mapping], dict[str, tuple[str, ...]]] = lambda config: {}


def _vae(variant: str) -> Family:
    return Family(
        read=functools.partial(vae.read_config, variant=variant),
        build=vae.build,
        sections=("model", "loss"),
        borrows=lambda config: {"eval": vae.EVAL_FIELDS},
    )


def _gan(variant: str) -> Family:
    return Family(
        read=functools.partial(gan.read_config, variant=variant),
        build=vaegan.build if variant == "vaegan" else gan.build,
        sections=("model", "loss"),
        borrows=lambda config: {"train": ("n_critic",), "optim": gan.PLAYERS},
    )


def _own_section(module, section: str, borrows=None) -> Family:
    """A family whose settings are ``model`` and its own section (``config.rbm``, ...)."""
    return Family(
        read=module.read_config,
        build=module.build,
        sections=("model", section),
        borrows=borrows or (lambda config: {}),
    )


def _dbn_borrows(config: Mapping) -> dict[str, tuple[str, ...]]:
    layers = len((config.get("model") or {}).get("hidden", ()))
    return {"eval": NLL_FIELDS, "optim": tuple(f"layer{i}" for i in range(layers))}


METHODS: dict[str, Family] = {
    **{
        name: Family(
            read=functools.partial(autoencoder.read_config, sparse=name != "autoencoder"),
            build=autoencoder.build,
            sections=("model", "loss"),
        )
        for name in ("autoencoder", "sparse_autoencoder")
    },
    **{variant: _vae(variant) for variant in vae.VARIANTS},
    **{variant: _gan(variant) for variant in (*gan.VARIANTS, "vaegan")},
    "diffusion": _own_section(diffusion, "diffusion", lambda c: {"eval": ("bpd_examples",)}),
    "vdm": _own_section(vdm, "vdm", lambda c: {"eval": vdm.EVAL_FIELDS}),
    "rbm": _own_section(rbm, "rbm"),
    "dbn": _own_section(dbn, "dbn", _dbn_borrows),
    "sparse_coding": _own_section(sparse_coding, "sparse_coding"),
    "helmholtz": _own_section(helmholtz, "helmholtz", lambda c: {"eval": NLL_FIELDS}),
    **{
        variant: Family(
            read=functools.partial(pix2pix.read_config, variant=variant),
            build=pix2pix.build,
            sections=("model", "loss"),
            borrows=lambda config: {"optim": pix2pix.PLAYERS},
        )
        for variant in pix2pix.VARIANTS
    },
    **{
        kind: Family(
            read=functools.partial(autoregressive.read_config, kind=kind),
            build=functools.partial(autoregressive.build, kind),
            sections=("model",),
        )
        for kind in autoregressive.KINDS
    },
    "cyclegan": Family(
        read=cyclegan.read_config,
        build=cyclegan.build,
        sections=("model", "loss"),
        borrows=lambda config: {"optim": cyclegan.PLAYERS},
    ),
}


def get_family(name: str) -> Family:
    """The Family of method ``name``, or a one-line error listing valid names."""
    if name not in METHODS:
        raise ValueError(f"unknown method {name!r}; valid methods: {', '.join(sorted(METHODS))}")
    return METHODS[name]


def build_method(config: Mapping, info: DataInfo, strict: bool = True) -> Method:
    """``config.method``'s Method for data ``info``: its settings read, then built."""
    family = get_family(config["method"])
    return family.build(family.read(config, strict=strict), info)


__all__ = ["METHODS", "Family", "Method", "Player", "build_method", "get_family", "stateless"]
