"""Data augmentation with a class-conditional model (``experiments.augment``): for n labelled
training images per class, a generator trained on exactly those images, and the suite's
classifier trained on the n real images alone and with r synthetic images per real one (class-
stratified); accuracy on the real test split, per seed, with 95% t intervals and the paired
per-seed change."""

import dataclasses
import os
from collections.abc import Mapping, Sequence

import jax
import numpy as np

from genjax.applications import cas
from genjax.applications.cas_report import check_conditional, model_split
from genjax.applications.debias_report import interval
from genjax.applications.protocols import ensure_run, overridden
from genjax.data import DataConfig
from genjax.data.datasets import get_spec


@dataclasses.dataclass(frozen=True)
class AugmentSettings:
    """``config`` of ``configs/augment.py``, typed.

    Attributes:
      generator: the class-conditional generator's config, ``path[:arg]`` (a packaged name
        works: ``vae:variant=cvae``).
      variant: the data variant of generator and classifiers ("gray" or "binary").
      per_class: labelled training images per class (0: the whole train split).
      seeds: seeds per n (the labelled subset, the generator and the classifiers); >= 2.
      ratios: synthetic images per real one, each a row.
      classifier_steps: the classifier's schedule (the suite's: 3000).
      generator_steps: the generators' steps (0: their configs').
      generator_eval_samples: the generator run's importance samples and ELBO draws at its end
        (its test NLL is not what this measures; a small number keeps runs short).
      unlabelled_generator: the second setting ("" skips it): an unconditional model's config
        (``vae``) trained on every train image without labels, one run per seed; its samples
        are labelled by the classifier trained on the n labelled images (the conditional model
        is p(x) from all images times p(y | x) from the labelled few), then added as above.
    """

    generator: str = "vae:variant=cvae"
    variant: str = "gray"
    per_class: tuple[int, ...] = (5, 10, 50, 0)
    seeds: int = 5
    ratios: tuple[float, ...] = (1.0, 4.0)
    classifier_steps: int = cas.CLASSIFIER_STEPS
    generator_steps: int = 0
    generator_eval_samples: int = 100
    unlabelled_generator: str = ""

    def __post_init__(self):
        if self.variant not in ("gray", "binary"):
            raise ValueError(f"variant must be gray or binary; got {self.variant!r}")
        if not self.per_class or any(n < 0 for n in self.per_class):
            raise ValueError(
                f"per_class lists labelled images per class (>= 1, or 0 for all); got "
                f"{list(self.per_class)}"
            )
        if self.seeds < 2:
            raise ValueError(f"seeds must be at least 2 for an interval; got {self.seeds}")
        if not self.ratios or any(r <= 0 for r in self.ratios):
            raise ValueError(
                f"ratios are synthetic images per real one, > 0; got {list(self.ratios)}"
            )
        if self.classifier_steps < 1 or self.generator_steps < 0:
            raise ValueError("classifier_steps must be >= 1 and generator_steps >= 0")
        if self.generator_eval_samples < 1:
            raise ValueError(
                f"generator_eval_samples must be >= 1; got {self.generator_eval_samples}"
            )

    @classmethod
    def read(cls, config: Mapping) -> "AugmentSettings":
        """From a ConfigDict (unknown fields are a one-line error)."""
        fields = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(config.keys()) - fields)
        if unknown:
            raise ValueError(
                f"unknown augment fields {unknown}; valid: {', '.join(sorted(fields))}"
            )
        values = dict(config.items())
        for name in ("per_class", "ratios"):
            if name in values:
                values[name] = tuple(values[name])
        return cls(**values)


def generator_config(base, cfg: AugmentSettings, per_class: int, seed: int):
    """``base`` (a class-conditional config) trained on ``per_class`` labelled images per class
    drawn by ``seed``, with seed ``seed``, a batch no larger than those rows, no suite."""
    data = DataConfig.read(base["data"])
    classes = get_spec(data.name).num_classes
    if not classes:
        raise ValueError(f"augmentation needs labels; {data.name} has none")
    batch = int(base["train"]["batch_size"])
    overrides = {
        "seed": seed,
        "data.variant": cfg.variant,
        "data.train_per_class": per_class,
        "data.subset_seed": seed,
        "train.batch_size": min(batch, per_class * classes) if per_class else batch,
        "eval.suite.enabled": False,
        "train.progress": False,
    }
    draws = cfg.generator_eval_samples
    if "nll_samples" in base["eval"]:  # a method that estimates log p(x) by importance
        overrides["eval.nll_samples"] = draws
        overrides["eval.nll_chunk"] = min(int(base["eval"]["nll_chunk"]), draws)
    if "elbo_samples" in base["eval"]:
        overrides["eval.elbo_samples"] = draws
    if cfg.generator_steps:
        overrides["train.steps"] = cfg.generator_steps
    return overridden(base, overrides)


def run_cell(
    base, cfg: AugmentSettings, per_class: int, seed: int, workdir: str, unlabelled=None
) -> dict:
    """One (n, seed): train (or find) the generator on the labelled subset, then the classifier
    on the subset alone and with each ratio of synthetic images (and, given ``unlabelled``, a
    trained unconditional run of seed ``seed``, the second setting's rows).

    Returns:
      {"real": accuracy, "ratio <r>": accuracy, ...; "rows": labelled rows, "step": ...}.
    """
    trained = ensure_run(
        generator_config(base, cfg, per_class, seed),
        os.path.join(workdir, f"n{per_class or 'all'}", f"seed{seed}"),
    )
    check_conditional(trained, workdir)
    train, test = model_split(trained, "train"), model_split(trained, "test")
    classes = trained.data.info.num_classes
    per = per_class or len(train["label"]) // classes
    fit = lambda x, y: cas.train_and_test(  # noqa: E731
        x, y, test["image"], test["label"], classes, steps=cfg.classifier_steps, seed=seed
    )
    out = {
        "rows": len(train["label"]),
        "test_rows": len(test["label"]),
        "step": trained.step,
        "real": fit(**_xy(train)),
    }
    key = jax.random.fold_in(jax.random.key(seed), 30_000)
    for i, r in enumerate(cfg.ratios):
        k = jax.random.fold_in(key, i)
        labels = cas.draw_labels("stratified", int(round(r * per)) * classes, classes, k)
        fake = cas.conditional_samples(
            trained.method, trained.state.eval_params, jax.random.fold_in(k, 1), labels
        )
        x = np.concatenate([train["image"], fake])
        y = np.concatenate([train["label"], labels])
        out[f"ratio {r:g}"] = fit(x, y)
    if unlabelled is not None:
        out.update(unlabelled_rows(unlabelled, cfg, train, fit, classes, per, seed))
    return out


def unlabelled_rows(trained, cfg: AugmentSettings, train, fit, classes: int, per: int, seed: int):
    """The second setting: samples of a model of every train image (no labels), labelled by the
    classifier of the n labelled images, added at each ratio."""
    labeller = cas.fit_classifier(
        train["image"], train["label"], classes, steps=cfg.classifier_steps, seed=seed
    )
    key = jax.random.fold_in(jax.random.key(seed), 31_000)
    out = {}
    for i, r in enumerate(cfg.ratios):
        num = int(round(r * per)) * classes
        fake = np.asarray(
            trained.method.sample(trained.state.eval_params, jax.random.fold_in(key, i), num)
        )
        labels = np.argmax(labeller.probs(fake), axis=1)
        x = np.concatenate([train["image"], fake])
        out[f"ratio {r:g} unlabelled"] = fit(x, np.concatenate([train["label"], labels]))
    return out


def check_unconditional(trained) -> None:
    """A one-line error for a second-setting model that needs labels or cannot sample."""
    if trained.method.conditional or trained.method.sample is None:
        raise ValueError(
            f"the unlabelled generator must be an unconditional model that samples; "
            f"{trained.settings.method} is not (use vae)"
        )


def unlabelled_config(base, cfg: AugmentSettings, seed: int):
    """``base`` (an unconditional config) on the whole train split, seed ``seed``, no suite."""
    data = DataConfig.read(base["data"])
    overrides = {
        "seed": seed,
        "data.variant": cfg.variant,
        "eval.suite.enabled": False,
        "train.progress": False,
    }
    if "nll_samples" in base["eval"]:
        overrides["eval.nll_samples"] = cfg.generator_eval_samples
        overrides["eval.nll_chunk"] = min(
            int(base["eval"]["nll_chunk"]), cfg.generator_eval_samples
        )
    if "elbo_samples" in base["eval"]:
        overrides["eval.elbo_samples"] = cfg.generator_eval_samples
    if cfg.generator_steps:
        overrides["train.steps"] = cfg.generator_steps
    if data.train_per_class:
        raise ValueError(
            "the unlabelled generator sees the whole train split: unset its train_per_class"
        )
    return overridden(base, overrides)


def _xy(split: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {"x": split["image"], "y": split["label"]}


def summarize(cells: Mapping[int, Sequence[dict]], cfg: AugmentSettings, test_rows: int) -> dict:
    """Per n: each setting's mean and interval over seeds, the paired change against real data
    alone, and the verdict its interval gives."""
    table = {}
    for n, runs in cells.items():
        settings = [k for k in runs[0] if k == "real" or k.startswith("ratio ")]  # + unlabelled
        row = {"rows": runs[0]["rows"], "per_seed": list(runs)}
        for name in settings:
            row[name] = interval([r[name] for r in runs])
            if name != "real":
                change = interval([r[name] - r["real"] for r in runs])
                row[f"{name} change"] = {**change, "verdict": verdict(change)}
        table[str(n or "all")] = row
    return {
        "generator": cfg.generator,
        "variant": cfg.variant,
        "seeds": cfg.seeds,
        "ratios": list(cfg.ratios),
        "classifier_steps": cfg.classifier_steps,
        "unlabelled_generator": cfg.unlabelled_generator,
        "test_rows": test_rows,
        "per_class": table,
    }


def verdict(change: Mapping[str, float]) -> str:
    """What a paired 95% interval of (augmented - real) says."""
    if change["low"] > 0:
        return "helps"
    if change["high"] < 0:
        return "hurts"
    return "no measurable difference"


def setting_name(key: str) -> str:
    """ "ratio 4" -> "4:1"; "ratio 4 unlabelled" -> "4:1 unlabelled" (synthetic : real)."""
    ratio, _, rest = key.removeprefix("ratio ").partition(" ")
    return f"{ratio}:1" + (f" {rest}" if rest else "")


def markdown(report: Mapping) -> str:
    """The table: accuracy (%) per n and setting, with the paired change and its verdict."""
    first = next(iter(report["per_class"].values()))
    added = [k for k in first if k.startswith("ratio ") and not k.endswith(" change")]
    steps = report["classifier_steps"]
    second = (
        f"; unlabelled: samples of {report['unlabelled_generator']} trained on every train image, "
        "labelled by the classifier of the n labelled ones"
        if report.get("unlabelled_generator")
        else ""
    )
    lines = [
        f"Augmentation with {report['generator']} trained on the same n labelled "
        f"{report['variant']} digits per class: the suite's classifier ({steps}"
        f" steps) on the n real images alone and with r synthetic images per real one{second}; "
        f"accuracy (%) on the {report['test_rows']} test digits, mean [95% t interval] over "
        f"{report['seeds']} seeds (each its own labelled subset, generator and classifier); "
        "change: paired per seed\n",
        "| n per class | real only | "
        + " | ".join(f"+ {setting_name(k)}" for k in added)
        + " | "
        + " | ".join(f"change at {setting_name(k)}" for k in added)
        + " |",
        "|---|---:|" + "---:|" * (2 * len(added)),
    ]
    pct = lambda v: f"{100 * v['mean']:.1f} [{100 * v['low']:.1f}, {100 * v['high']:.1f}]"  # noqa: E731
    for n, row in report["per_class"].items():
        label = f"{n} ({row['rows']} rows)" if n == "all" else n
        cells = [pct(row["real"])] + [pct(row[k]) for k in added]
        cells += [f"{pct(row[f'{k} change'])} {row[f'{k} change']['verdict']}" for k in added]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(report: Mapping, path: str) -> None:
    """Accuracy against n (log scale, "all" at its rows per class) with 95% intervals."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = report["per_class"]
    xs = [int(n) if n != "all" else rows[n]["rows"] // 10 for n in rows]
    first = next(iter(rows.values()))
    added = [k for k in first if k.startswith("ratio ") and not k.endswith(" change")]
    fig, ax = plt.subplots(figsize=(6, 4))
    for i, name in enumerate(["real", *added]):
        mean = np.array([rows[n][name]["mean"] for n in rows]) * 100
        err = (
            np.array(
                [
                    [
                        rows[n][name]["mean"] - rows[n][name]["low"],
                        rows[n][name]["high"] - rows[n][name]["mean"],
                    ]
                    for n in rows
                ]
            ).T
            * 100
        )
        x = np.array(xs) * (1.0 + 0.04 * i)  # side by side on the log axis
        label = "real only" if name == "real" else f"+ synthetic, {setting_name(name)}"
        ax.errorbar(x, mean, yerr=err, marker="o", capsize=3, label=label)
    ax.set_xscale("log")
    ax.set_xticks(xs, [str(n) for n in rows])
    ax.set(
        xlabel="labelled digits per class (n)",
        ylabel=f"test accuracy (%), {report['test_rows']} digits",
        title=f"Augmentation with {report['generator']} ({report['seeds']} seeds, 95% t)",
    )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


__all__ = [
    "AugmentSettings",
    "generator_config",
    "markdown",
    "plot",
    "run_cell",
    "unlabelled_config",
    "summarize",
    "verdict",
]
