"""A whole experiment config read into typed sections at once, before anything is loaded or
compiled: the method's own settings, and the spine's data, optimizer, train and eval sections.
Every mistake in it is a one-line error naming the field."""

import dataclasses
from collections.abc import Mapping
from typing import Any

from genjax.checks import read_borrowed
from genjax.data import DataConfig
from genjax.eval.config import EvalConfig
from genjax.methods import Family, get_family
from genjax.optim import OptimConfig
from genjax.run.distributed import DistributedConfig
from genjax.train.config import TrainConfig

# Top-level fields and sections every config has; a method adds its own (model, loss, ...).
SPINE = ("method", "seed", "multihost", "distributed", "data", "optim", "train", "eval")


@dataclasses.dataclass(frozen=True)
class TopLevel:
    """The config's own fields: the method's name, the root seed, multi-host start-up."""

    method: str
    seed: int = 0
    multihost: bool = False


@dataclasses.dataclass(frozen=True, kw_only=True)
class Settings:
    """A config, typed.

    Attributes:
      method: ``config.method``.
      family: its read/build functions.
      method_settings: the method's typed settings (built into a Method with the data's info).
      seed: the root of every key.
      multihost: initialise JAX's distributed runtime first.
      distributed: where the cluster is (with multihost).
      data, optim, train, eval: the spine's typed sections.
      config: the config as given, kept for config.json and checkpoints.
    """

    method: str
    family: Family
    method_settings: Any
    seed: int
    multihost: bool
    distributed: DistributedConfig
    data: DataConfig
    optim: OptimConfig
    train: TrainConfig
    eval: EvalConfig
    config: Mapping


def read_settings(config: Mapping, strict: bool = True) -> Settings:
    """Every section of ``config``, typed and checked.

    Args:
      config: an experiment config (a ConfigDict from configs/, or a dict).
      strict: when False, unknown fields and fields that do not apply are ignored (a config
        saved by an older version, read back to evaluate its checkpoint).

    Returns:
      The Settings.
    """
    family = get_family(config["method"])
    owned = set(SPINE) | set(family.sections)
    unknown = [k for k in config.keys() if k not in owned]
    if unknown and strict:
        raise ValueError(
            f"config section(s) {', '.join(unknown)} do not apply to method {config['method']}: "
            f"remove them (its sections: {', '.join(family.sections)})"
        )
    borrows = family.borrows(config)
    top = read_borrowed(config, TopLevel, "config", "the experiment", strict)
    return Settings(
        method=top.method,
        family=family,
        method_settings=family.read(config, strict=strict),
        seed=top.seed,
        multihost=top.multihost,
        distributed=DistributedConfig.read(config.get("distributed"), strict=strict),
        data=DataConfig.read(config.get("data"), strict=strict),
        optim=OptimConfig.read(config.get("optim"), borrows.get("optim", ()), strict=strict),
        train=TrainConfig.read(config.get("train"), borrows.get("train", ()), strict=strict),
        eval=EvalConfig.read(config.get("eval"), borrows.get("eval", ()), strict=strict),
        config=config,
    )
