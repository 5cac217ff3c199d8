"""A run's build is kept for equal settings and only for equal settings."""

import dataclasses
import json

import ml_collections
import numpy as np
import pytest

from genjax.run.builds import frozen
from genjax.run.experiment import build
from genjax.run.settings import read_settings
from tests.helpers import tiny_config


def _settings(config):
    return read_settings(config)


def test_equal_settings_share_one_build_and_a_changed_field_gets_its_own():
    first = build(_settings(tiny_config()))
    again = build(_settings(tiny_config()))
    assert again is first  # the same jitted functions: nothing is traced twice
    # The eval section is not read by a build: a run that adds evaluation shares it.
    more_eval = tiny_config()
    more_eval.eval.num_samples = 4
    assert build(_settings(more_eval)) is first
    # The train and optimizer sections key it whole: any change in them builds again.
    assert build(_settings(tiny_config(eval_every=5))) is not first
    changed = tiny_config()
    changed.optim.learning_rate = 0.5
    assert build(_settings(changed)) is not first
    wider = tiny_config()
    wider.model.hidden = (64,)
    other = build(_settings(wider))
    assert other is not first and other.method is not first.method


def test_a_config_read_back_from_json_shares_the_build():
    """A checkpoint's config comes back from JSON with lists for tuples: the same build."""
    config = tiny_config()
    back = ml_collections.ConfigDict(json.loads(json.dumps(config.to_dict())))
    assert isinstance(back.model.hidden, list)
    assert build(read_settings(back)) is build(_settings(config))


def test_frozen_keys_are_exact():
    @dataclasses.dataclass(frozen=True)
    class Section:
        sizes: tuple
        table: dict

    a = Section((1, 2), {"b": 1.0, "a": np.arange(3)})
    same = Section([1, 2], {"a": np.arange(3), "b": 1.0})
    assert frozen(a) == frozen(same) and hash(frozen(a)) == hash(frozen(same))
    assert frozen(a) != frozen(Section((1, 2), {"b": 1.0, "a": np.arange(3) + 1}))
    assert frozen(a) != frozen(Section((1, 2), {"b": 1.0, "a": np.arange(3.0)}))  # dtype
    assert frozen(a) != frozen(Section((1, 2), {"b": 1.0 + 1e-12, "a": np.arange(3)}))
    with pytest.raises(TypeError):
        frozen({"a": bytearray(b"x")})
