"""Fidelity against diversity along the prior: a latent model's samples with z drawn at prior
temperature T (z ~ N(0, T² I), T < 1 narrower) or truncated at τ (|z_i| <= τ, the GAN truncation
trick), each set measured by the evaluation suite, so precision and recall trace a curve across
the setting (``experiments.temperature``)."""

from collections.abc import Callable, Mapping, Sequence

import jax
import numpy as np

from genjax.eval.metrics import extract
from genjax.inference.sampling import tempered_normal, truncated_normal
from genjax.methods.base import Method

# z [num, d] of a setting's value: the prior at that temperature, or truncated at that τ.
SCHEMES: dict[str, Callable[[jax.Array, tuple[int, ...], float], jax.Array]] = {
    "temperature": tempered_normal,
    "truncation": truncated_normal,
}
DEFAULT_VALUES = {
    "temperature": (0.25, 0.5, 0.75, 1.0, 1.25, 1.5),
    "truncation": (0.25, 0.5, 1.0, 1.5, 2.0, 3.0),
}
METRICS = ("fd", "kid", "precision", "recall", "class_accuracy")


def check_scheme(method: Method, scheme: str, values: Sequence[float]) -> None:
    """One-line errors for a method without a Gaussian latent, an unknown scheme or a value
    that is not positive."""
    if method.decode_latent is None:
        raise ValueError(
            f"method {method.name!r} has no Gaussian prior latent to temper or truncate; use a "
            "VAE, GAN or VAE-GAN run"
        )
    if scheme not in SCHEMES:
        raise ValueError(f"unknown scheme {scheme!r}; valid: {', '.join(SCHEMES)}")
    if not values or any(not v > 0 for v in values):
        raise ValueError(f"{scheme} values must be > 0; got {list(values)}")


def latent_samples(
    method: Method,
    params,
    key: jax.Array,
    scheme: str,
    value: float,
    num: int,
    num_classes: int = 0,
    chunk: int = 500,
) -> tuple[np.ndarray, np.ndarray | None]:
    """``num`` images decoded from z drawn by ``scheme`` at ``value`` (a conditional model's
    labels 0, 1, ... in turn over ``num_classes``, balanced as the suite's), with the labels."""
    images, labels = [], []
    classes = num_classes if method.conditional else 0
    for i, start in enumerate(range(0, num, chunk)):
        k = jax.random.fold_in(key, i)
        z = SCHEMES[scheme](jax.random.fold_in(k, 0), (chunk, method.latent_dim), value)
        y = np.arange(start, start + chunk) % classes if classes else None
        out = method.decode_latent(params, jax.random.fold_in(k, 1), z, y)
        images.append(np.asarray(out, np.float32))
        labels.append(y)
    x = np.concatenate(images)[:num]
    return x, (np.concatenate(labels)[:num] if classes else None)


def quality_curve(
    method: Method,
    params,
    key: jax.Array,
    suite,
    scheme: str,
    values: Sequence[float],
) -> list[dict]:
    """The suite's metrics of one sample set per value (the same keys at every value, so the
    sets differ only by the setting).

    Args:
      method, params: a method with ``decode_latent``.
      key: root of every set's draws.
      suite: a built ``Suite`` (features, reference, sample count).
      scheme: "temperature" or "truncation".
      values: the settings.

    Returns:
      One dict per value: {"value", "fd", "kid", "precision", "recall"[, "class_accuracy"]}.
    """
    check_scheme(method, scheme, values)
    rows = []
    for value in values:
        x, y = latent_samples(
            method, params, key, scheme, float(value), suite.num_samples, suite.num_classes
        )
        result = suite.judge(extract(suite.space, [(x, y)]))
        rows.append({"value": float(value), **{m: result[m] for m in METRICS if m in result}})
    return rows


def markdown(reports: Sequence[Mapping]) -> str:
    """One table per run: each value's FD, KID, precision and recall (and class accuracy)."""
    lines = []
    for r in reports:
        cols = [m for m in METRICS if m in r["curve"][0]]
        lines += [
            f"{r['method']} (step {r['step']}), {r['scheme']}: {r['num_samples']} samples per "
            f"value against the {r['reference']}; floor (the other split): precision "
            f"{r['floor']['precision']:.3f}, recall {r['floor']['recall']:.3f}, FD "
            f"{r['floor']['fd']:.2f}\n",
            f"| {r['scheme']} | " + " | ".join(cols) + " |",
            "|---:|" + "---:|" * len(cols),
        ]
        for row in r["curve"]:
            lines.append(
                f"| {row['value']:g} | " + " | ".join(f"{row[c]:.4g}" for c in cols) + " |"
            )
        lines.append("")
    return "\n".join(lines)


def plot(reports: Sequence[Mapping], path: str) -> None:
    """Precision against recall, one curve per run, each point labelled by its value; each
    reference's floor (the other real split against it) as a star."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 5))
    for r in reports:
        rec = [row["recall"] for row in r["curve"]]
        prec = [row["precision"] for row in r["curve"]]
        (line,) = ax.plot(rec, prec, marker="o", label=f"{r['method']}, {r['scheme']}")
        for row in r["curve"]:
            ax.annotate(
                f"{row['value']:g}",
                (row["recall"], row["precision"]),
                fontsize=7,
                xytext=(3, 3),
                textcoords="offset points",
                color=line.get_color(),
            )
    floors = {r["reference"]: r["floor"] for r in reports}  # one per data variant
    for i, (reference, floor) in enumerate(floors.items()):
        ax.plot(
            [floor["recall"]],
            [floor["precision"]],
            marker="*",
            ms=12,
            color=("k", "0.45", "0.7")[i % 3],
            ls="",
            label=f"real digits (the other split) vs the {reference}",
        )
    ax.set(
        xlim=(0, 1),
        ylim=(0, 1),
        xlabel="recall",
        ylabel="precision",
        title=f"Precision and recall across the prior's {reports[0]['scheme']}",
    )
    ax.legend(fontsize=8, loc="lower left")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


__all__ = [
    "DEFAULT_VALUES",
    "SCHEMES",
    "check_scheme",
    "latent_samples",
    "markdown",
    "plot",
    "quality_curve",
]
