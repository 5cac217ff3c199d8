"""The tables of ``experiments.cas``: the classification accuracy score of trained class-
conditional runs beside the same classifier trained on real data, and the seed-to-seed spread of
FD and KID with class-stratified against random labels."""

import dataclasses
from collections.abc import Sequence

import jax
import numpy as np
from scipy import stats

from genjax.applications import cas
from genjax.applications.debias_report import interval
from genjax.applications.protocols import overridden
from genjax.data import display
from genjax.eval.suite import build_suite
from genjax.run.experiment import build
from genjax.run.restore import Trained, load_trained
from genjax.run.settings import read_settings

# Where a method keeps its classifier-free guidance scale (explicit; others have none).
GUIDANCE_FIELD = {"diffusion": "diffusion.guidance", "vdm": "vdm.guidance"}


@dataclasses.dataclass(frozen=True)
class CasSettings:
    """What the tables measure.

    Attributes:
      seeds: classifier seeds (and sample sets) per row; intervals need at least 2 (0: no CAS,
        only the spread).
      num_per_class: samples per class (0: the real train split's rows / classes, rounded down).
      arch, steps: the classifier (the suite's feature network and schedule by default).
      guidance: extra rows for a guided model at these scales (its configured one is always in).
      spread_seeds: sample sets per labeling for the FD/KID spread (0: skip it).
    """

    seeds: int = 3
    num_per_class: int = 0
    arch: str = "conv"
    steps: int = cas.CLASSIFIER_STEPS
    guidance: tuple[float, ...] = (0.0, 1.0)
    spread_seeds: int = 0

    def __post_init__(self):
        cas.check_cas(max(self.num_per_class, 1), max(self.seeds, 1), self.arch, self.steps)
        if self.seeds == 1 or self.seeds < 0:
            raise ValueError(f"seeds must be at least 2 for an interval; got {self.seeds}")
        if not self.seeds and not self.spread_seeds:
            raise ValueError("seeds=0 skips the score: set spread_seeds >= 2, or seeds >= 2")
        if self.spread_seeds == 1 or self.spread_seeds < 0:
            raise ValueError(
                f"spread_seeds must be 0 (skip) or at least 2 for a spread; got {self.spread_seeds}"
            )
        if any(g < 0 for g in self.guidance):
            raise ValueError(f"guidance scales are >= 0; got {list(self.guidance)}")


def model_split(trained: Trained, split: str) -> dict[str, np.ndarray]:
    """A real split as the run's model sees its data, in [0, 1] (binary data binary)."""
    data = trained.data
    batch = data.transform(getattr(data, split))
    return {"image": np.asarray(display(batch["image"], data.info)), "label": batch["label"]}


def variants(trained: Trained, guidance: Sequence[float]) -> list[tuple[str, object]]:
    """(row name, method): the run as configured, and for a guided model one row per scale."""
    name = trained.settings.method
    field = GUIDANCE_FIELD.get(name)
    if field is None:
        return [(name, trained.method)]
    configured = float(trained.config[field.split(".")[0]]["guidance"])
    rows = []
    for g in sorted({*map(float, guidance), configured}):
        config = overridden(trained.config, {field: g})
        tag = " (configured)" if g == configured else ""
        rows.append(
            (f"{name}, guidance {g:g}{tag}", build(read_settings(config, strict=False)).method)
        )
    return rows


def check_conditional(trained: Trained, workdir: str) -> None:
    """A one-line error for a run whose method does not draw for labels."""
    if not trained.method.conditional:
        raise ValueError(
            f"{workdir} holds a {trained.settings.method} run, which is not class-conditional; "
            "the classification accuracy score needs cvae, cgan or a conditional diffusion run"
        )


def evaluate_run(workdir: str, cfg: CasSettings, real_scores: dict | None = None) -> dict:
    """Every row of one run: CAS per seed with its interval, the real-data reference on the
    same data variant (taken from ``real_scores`` by (dataset, variant) when there, and put
    there), and (``spread_seeds``) the FD/KID spread per labeling."""
    trained = load_trained(workdir)
    check_conditional(trained, workdir)
    s, info = trained.settings, trained.data.info
    train, test = model_split(trained, "train"), model_split(trained, "test")
    classes = info.num_classes
    per_class = cfg.num_per_class or len(train["label"]) // classes
    params = trained.state.eval_params
    key = jax.random.fold_in(jax.random.key(s.seed), 20_000 + trained.step)
    rows = {}
    for i, (name, method) in enumerate(variants(trained, cfg.guidance) if cfg.seeds else []):
        scores = cas.classification_accuracy_score(
            method,
            params,
            jax.random.fold_in(key, i),
            test,
            classes,
            per_class,
            cfg.seeds,
            cfg.arch,
            cfg.steps,
        )
        rows[name] = {"per_seed": scores, **interval(scores)}
        print(f"{workdir} {name}: CAS {rows[name]['mean']:.4f}", flush=True)
    variant = "binary" if info.binary else "gray"
    real_scores = {} if real_scores is None else real_scores
    if cfg.seeds and (s.data.name, variant) not in real_scores:
        real_scores[s.data.name, variant] = cas.real_data_score(
            train, test, classes, cfg.seeds, cfg.arch, cfg.steps
        )
    real = real_scores.get((s.data.name, variant))
    report = {
        "workdir": workdir,
        "method": s.method,
        "step": trained.step,
        "dataset": s.data.name,
        "variant": variant,
        "samples_per_seed": per_class * classes,
        "train_rows": len(train["label"]),
        "test_rows": len(test["label"]),
        "rows": rows,
    }
    if real:
        report["real"] = {"per_seed": real, **interval(real)}
    if cfg.spread_seeds:
        report.update(labeling_report(trained, cfg.spread_seeds, jax.random.fold_in(key, 99)))
    return report


def labeling_report(trained: Trained, seeds: int, key: jax.Array) -> dict:
    """FD and KID of ``seeds`` suite-sized sample sets per labeling, with their spread."""
    s, classes = trained.settings, trained.data.info.num_classes
    suite = build_suite(s.eval.suite, trained.data, s.data.name, s.seed, s.data.data_dir)
    num = suite.num_samples - suite.num_samples % classes
    spread = cas.labeling_spread(
        trained.method,
        trained.state.eval_params,
        key,
        suite.judge,
        suite.space,
        num,
        classes,
        seeds,
    )
    strat, rand = spread["stratified"], spread["random"]
    return {
        "spread": {
            labeling: {
                **values,
                **{f"{m}_std": float(np.std(values[m], ddof=1)) for m in ("fd", "kid")},
                **{f"{m}_mean": float(np.mean(values[m])) for m in ("fd", "kid")},
            }
            for labeling, values in spread.items()
        },
        "random_over_stratified": {
            m: {
                "variance_ratio": variance_ratio(rand[m], strat[m]),
                "mean_change": interval(np.subtract(rand[m], strat[m])),
            }
            for m in ("fd", "kid")
        },
        "spread_samples": num,
        "spread_reference": suite.provenance["reference"],
    }


def variance_ratio(a, b) -> dict[str, float]:
    """var(a) / var(b) of two independent samples with its 95% F interval."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    ratio = a.var(ddof=1) / b.var(ddof=1)
    dfa, dfb = len(a) - 1, len(b) - 1
    return {
        "ratio": float(ratio),
        "low": float(ratio / stats.f.ppf(0.975, dfa, dfb)),
        "high": float(ratio / stats.f.ppf(0.025, dfa, dfb)),
    }


def _pct(row: dict) -> str:
    return f"{100 * row['mean']:.1f} [{100 * row['low']:.1f}, {100 * row['high']:.1f}]"


def markdown(reports: Sequence[dict], seeds: int) -> str:
    """The CAS table (when scored) and the labeling-spread table (where measured)."""
    lines = []
    if any(r["rows"] for r in reports):
        lines += [
            "Classification accuracy score: the suite's classifier (conv feature network, same "
            "schedule) trained on a model's samples alone (class-stratified), tested on the real "
            f"test split; mean [95% t interval] over {seeds} seeds (each its own sample set)\n",
            "| run | data | samples | CAS % | real data % | CAS / real |",
            "|---|---|---:|---:|---:|---:|",
        ]
    for r in reports:
        for name, row in r["rows"].items():
            lines.append(
                f"| {name} (step {r['step']}) | {r['dataset']} {r['variant']}, test "
                f"{r['test_rows']} | {r['samples_per_seed']} | {_pct(row)} | "
                f"{_pct(r['real'])} (train {r['train_rows']}) | "
                f"{row['mean'] / r['real']['mean']:.3f} |"
            )
    spread = [r for r in reports if "spread" in r]
    if spread:
        lines += [
            "",
            "Seed-to-seed spread of FD and KID per labeling of the sample set: the same model, "
            "one sample set per seed; random over stratified: the variance ratio [95% F "
            "interval] and the mean change [95% t]\n",
            "| run | samples, reference | labels | FD mean | FD std | KID mean | KID std | "
            "max-min class count |",
            "|---|---|---|---:|---:|---:|---:|---:|",
        ]
        for r in spread:
            for labeling, v in r["spread"].items():
                n = len(v["fd"])
                lines.append(
                    f"| {r['method']} (step {r['step']}) | {r['spread_samples']} x {n} seeds, "
                    f"{r['spread_reference']} | {labeling} | {v['fd_mean']:.3f} | "
                    f"{v['fd_std']:.3f} | {v['kid_mean']:.3f} | {v['kid_std']:.3f} | "
                    f"{max(v['class_counts_max_minus_min'])} |"
                )
            for m, c in r["random_over_stratified"].items():
                vr, ch = c["variance_ratio"], c["mean_change"]
                lines.append(
                    f"| | | random / stratified, {m} | change {ch['mean']:+.3f} "
                    f"[{ch['low']:+.3f}, {ch['high']:+.3f}] | variance ratio {vr['ratio']:.2f} "
                    f"[{vr['low']:.2f}, {vr['high']:.2f}] | | | |"
                )
    return "\n".join(lines) + "\n"


__all__ = ["GUIDANCE_FIELD", "CasSettings", "evaluate_run", "markdown", "model_split", "variants"]
