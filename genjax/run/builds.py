"""A method and its train and eval steps, built once per process for the same settings.

Building a method creates its jitted functions (sampler, evaluation, report), and the train
step is a new function per build: a second run of the same settings in one process (a resume
in the same notebook, ``experiments.evaluate`` after training, a test's straight run beside its
resumed one) would trace, lower and fetch every program again. Kept here, it reuses them as
``jax.jit`` reuses a function's own compilations. A build is a pure function of the settings
it is keyed by (the method's settings, the data's description, the train and optimizer
sections), so a kept one is the one a fresh build would make; the newest ``CAPACITY`` are kept.
"""

import dataclasses
import functools
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from genjax.data import DataInfo
from genjax.eval.test_split import make_eval_step
from genjax.methods import Method
from genjax.train.step import make_training

CAPACITY = 4


@dataclasses.dataclass(frozen=True)
class Built:
    """What a run compiles: the method, its state constructor, its train step (unjitted:
    the caller jits it with the run's shardings) and its jitted eval step."""

    method: Method
    init_fn: Callable
    train_fn: Callable
    eval_step: Callable


def frozen(value: Any) -> Any:
    """An exact, hashable key for a settings value: dataclasses by type and fields, mappings
    by sorted items, lists and tuples alike (a config read back from JSON has lists), arrays
    by dtype, shape and bytes. Raises TypeError for a value that is none of these and not
    hashable."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = dataclasses.fields(value)
        return (type(value), tuple((f.name, frozen(getattr(value, f.name))) for f in fields))
    if isinstance(value, Mapping):
        return (Mapping, tuple(sorted((k, frozen(v)) for k, v in value.items())))
    if isinstance(value, list | tuple):
        return (tuple, tuple(frozen(v) for v in value))
    if isinstance(value, np.ndarray):
        return (np.ndarray, str(value.dtype), value.shape, value.tobytes())
    hash(value)
    return value


class _Keyed:
    """The build's inputs, compared and hashed by their frozen values."""

    def __init__(self, family, method_settings, info: DataInfo, train, optim):
        self.args = (family, method_settings, info, train, optim)
        self.key = frozen(self.args)

    def __hash__(self) -> int:
        return hash(self.key)

    def __eq__(self, other) -> bool:
        return isinstance(other, _Keyed) and self.key == other.key


@functools.lru_cache(maxsize=CAPACITY)
def _build(keyed: _Keyed) -> Built:
    family, method_settings, info, train, optim = keyed.args
    method = family.build(method_settings, info)
    init_fn, train_fn = make_training(method, train, optim)
    return Built(method, init_fn, train_fn, make_eval_step(method.eval_metrics))


def built(family, method_settings, info: DataInfo, train, optim) -> Built:
    """The Built of these settings: this process's kept one if it has it, else a new one.

    Args:
      family: the method's Family (its build function).
      method_settings: the family's typed settings.
      info: the data's description.
      train, optim: the typed train and optimizer sections.

    Returns:
      The Built (shared with earlier callers of equal settings: its functions are pure).
    """
    return _build(_Keyed(family, method_settings, info, train, optim))
