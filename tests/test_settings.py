"""Typed settings: every shipped config reads; a field that is unknown, does not apply to the
method, or has the wrong type is a one-line error raised before any data is loaded; configs
saved by older versions still read leniently."""

import dataclasses
import re

import ml_collections
import pytest

from configs import dbn, diffusion, gan, helmholtz, rbm, sparse_coding, vae
from genjax.checks import read_section
from genjax.run.experiment import train_and_evaluate
from genjax.run.settings import read_settings
from tests.helpers import tiny_config, tiny_gan_config

CONFIGS = [
    *((vae, f"variant={v}") for v in vae.VARIANTS),
    (vae, "dataset=cifar10,arch=conv"),
    *((gan, f"variant={v}") for v in gan.VARIANTS),
    (gan, "dataset=celeb_a"),
    (rbm, "sampler=pcd"),
    (rbm, "variant=gray"),
    (dbn, "dataset=binarized_mnist"),
    (diffusion, "conditional=false"),
    (diffusion, "dataset=cifar10"),
    (helmholtz, "variant=wake_sleep"),
    (sparse_coding, "dataset=mnist"),
]


@pytest.mark.parametrize("module, arg", CONFIGS, ids=[f"{m.__name__}:{a}" for m, a in CONFIGS])
def test_every_shipped_config_reads_into_typed_settings(module, arg):
    settings = read_settings(module.get_config(arg))
    assert dataclasses.is_dataclass(settings.method_settings)
    assert settings.train.steps % settings.train.steps_per_call == 0


@dataclasses.dataclass(frozen=True)
class Example:
    count: int
    rate: float = 0.5
    name: str = "a"
    flag: bool = False
    sizes: tuple[int, ...] = (1,)


def test_read_section_converts_and_checks_types():
    got = read_section({"count": 3.0, "rate": 2, "sizes": [4, 5]}, Example, "s", owner="me")
    assert got == Example(count=3, rate=2.0, sizes=(4, 5))
    for field, value, expected in (
        ("count", "abc", "s.count must be of type int; got 'abc' (str)"),
        ("count", 2.5, "s.count must be of type int; got 2.5 (float)"),
        ("count", True, "s.count must be of type int; got True (bool)"),
        ("flag", 1, "s.flag must be of type bool; got 1 (int)"),
        ("sizes", "12", "s.sizes must be a sequence of int; got '12'"),
    ):
        with pytest.raises(ValueError, match="^" + re.escape(expected)) as err:
            read_section({"count": 1, field: value}, Example, "s", owner="me")
        assert "\n" not in str(err.value)
    with pytest.raises(ValueError, match=r"^config has no s.count \(me\)$"):
        read_section({}, Example, "s", owner="me")
    with pytest.raises(ValueError, match="unknown config field s.size for me; valid: count, flag"):
        read_section({"count": 1, "size": 2}, Example, "s", owner="me")
    with pytest.raises(ValueError, match=r"^s.rate does not apply to me: remove it"):
        read_section({"count": 1, "rate": 1.0}, Example, "s", owner="me", applicable=("count",))
    loose = read_section({"count": 1, "size": 2}, Example, "s", owner="me", strict=False)
    assert loose == Example(count=1)


def _with(config, path: str, value) -> dict:
    """``config`` as a plain dict (no ConfigDict type checks) with ``path`` set to ``value``."""
    out = config.to_dict()
    *sections, field = path.split(".")
    node = out
    for name in sections:
        node = node.setdefault(name, {})
    node[field] = value
    return out


@pytest.mark.parametrize(
    "make, path, value, expected",
    [
        (tiny_config, "loss.beta", 4.0, "loss.beta does not apply to method vae: remove it"),
        (tiny_config, "model.depth", 2, "unknown config field model.depth for method vae"),
        (tiny_config, "train.steps", "abc", "train.steps must be of type int; got 'abc'"),
        (tiny_config, "train.steps", 0, "train.steps must be >= 1; got 0"),
        (tiny_config, "train.steps_per_call", 3, "steps_per_call=3 must divide train.steps=20"),
        (tiny_config, "train.n_critic", 2, "unknown config field train.n_critic for the training"),
        (tiny_config, "eval.nll_chunk", 7, "eval.nll_chunk=7 must divide eval.nll_samples=20"),
        (tiny_config, "eval.bpd_examples", 5, "unknown config field eval.bpd_examples"),
        (tiny_config, "optim.name", "lamb", "unknown optim.name 'lamb'; valid: adam, adamw, sgd"),
        (tiny_config, "data.variant", "colour", "unknown data.variant 'colour'; valid: gray"),
        (tiny_config, "rbm", {"sampler": "cd"}, "section(s) rbm do not apply to method vae"),
        (tiny_gan_config, "model.encoder_hidden", (8,), "model.encoder_hidden does not apply"),
        (tiny_gan_config, "loss.kl_weight", 1.0, "loss.kl_weight does not apply to method gan"),
        (tiny_gan_config, "optim.generator.beta1", 0.5, "field optim.generator.beta1 for player"),
        (tiny_gan_config, "eval.nll_samples", 10, "unknown config field eval.nll_samples"),
    ],
)
def test_a_bad_field_is_one_line_before_any_data_is_read(tmp_path, make, path, value, expected):
    config = _with(make(), path, value)
    config["data"]["name"] = "mnist"  # not prepared here: reading it would fail differently
    with pytest.raises(ValueError, match=re.escape(expected)) as err:
        train_and_evaluate(config, str(tmp_path))
    assert "\n" not in str(err.value)
    assert list(tmp_path.iterdir()) == []  # nothing written


def test_a_config_saved_by_an_older_version_reads_leniently():
    old = tiny_config().to_dict()
    old["loss"] = {"beta": 4.0, "num_importance": 5, "l1_weight": 0.01}  # once in every VAE
    old["eval"]["bpd_examples"] = 0
    settings = read_settings(ml_collections.ConfigDict(old), strict=False)
    assert settings.method_settings.loss.beta == 1.0  # plain vae: beta never applied
    with pytest.raises(ValueError, match="loss.beta does not apply to method vae"):
        read_settings(ml_collections.ConfigDict(old))
