"""The likelihood table: its floor row against the pure loss, and its rows read exactly from
each run's summary.json (a table over finished runs trains nothing)."""

import json
import math

import jax.numpy as jnp
import numpy as np
import pytest

from genjax.eval import likelihood_table as T
from genjax.losses import independent_categorical_log_prob


def test_the_floor_row_is_the_smoothed_independent_categorical():
    rng = np.random.default_rng(0)
    train, test = rng.integers(0, 5, (40, 6)), rng.integers(0, 5, (7, 6))
    counts = np.stack([np.bincount(c, minlength=5) for c in train.T]).astype(np.float32)
    want = -np.mean(independent_categorical_log_prob(jnp.asarray(counts), jnp.asarray(test)))
    np.testing.assert_allclose(T.independent_pixels_nll(train, test, 5), want, rtol=1e-5)
    # one pixel always 0 in training: p(0) = 41/45 there, by hand
    zeros = np.zeros((40, 1), np.int64)
    assert T.independent_pixels_nll(zeros, zeros[:1], 5) == pytest.approx(-math.log(41 / 45))


def _summary(name: str, nll: float) -> dict:
    s = {"steps": 100, "loop_steps_per_sec": 50.0, "test_rows": 297, "num_params": 10}
    s.update(test_nll_exact=nll, test_is_nll=nll, nll_samples=1000.0)
    if name == "rbm":
        s.update(test_nll_ais=nll + 0.01, ais_log_z=70.0, ais_log_z_low=69.9, ais_log_z_high=70.1)
    if name.startswith("diffusion"):
        s.update(test_bits_per_dim_unconditional=3.0, test_bits_per_dim_conditional=2.9)
    if name == "vdm":
        s.update(test_bits_per_dim_unconditional=1.9, test_bits_per_dim_unconditional_se=0.02)
        s.update(bpd_samples=64.0)
    return s


@pytest.mark.slow
@pytest.mark.parametrize("variant", ["binary", "gray"])
def test_the_table_reads_every_row_from_its_runs_summary(tmp_path, variant):
    from tests.test_experiments import run_main

    rows = T.TABLES[variant]
    for i, row in enumerate(rows):
        (tmp_path / row.name).mkdir()
        with open(tmp_path / row.name / "summary.json", "w") as f:
            json.dump(_summary(row.name, 20.0 + i), f)
    code, out, err = run_main(
        "experiments.likelihood_table", f"--variant={variant}", f"--workdir={tmp_path}"
    )
    assert code == 0, err[-2000:]
    table = json.loads((tmp_path / f"likelihood_{variant}.json").read_text())
    assert table[0]["model"] == "independent pixels" and table[0]["test_rows"] == 297
    got = {r["model"]: r for r in table[1:]}
    for i, row in enumerate(rows):
        bits = {"diffusion": 3.0, "diffusion_learned": 3.0, "vdm": 1.9}.get(row.name)
        want = 20.0 + i if bits is None else bits * 64 * math.log(2)
        assert got[row.name]["test_nll"] == pytest.approx(want)
        assert got[row.name]["loop_seconds"] == 2.0
    if variant == "gray":  # p(x) from the null label, the conditional bound beside it
        assert not got["diffusion"]["conditional"]
        assert got["diffusion"]["error"] == "conditional on labels: 2.900 bits/dim"
        assert got["vdm"]["error"] == "± 0.020 (s.e.)" and not got["vdm"]["conditional"]
    if variant == "binary":
        assert got["rbm"]["error"] == "AIS 26.01 in [25.91, 26.11]"
        assert table[0]["test_nll"] > 20  # independent binary pixels: about 24.6 nats
    else:
        assert 2.3 < table[0]["bits_per_dim"] < 2.45  # the 2.37 bits/dim floor
    assert (tmp_path / f"likelihood_{variant}.md").read_text().count("\n|") == len(
        rows
    ) + 3  # head, rule, floor
