"""One outlier-detection table across the families on digits: each row a family's default
config and its main score, AUROC under the three protocols (``protocols.py``), the ratio and
typicality tests beside the raw score where it is in nats."""

import dataclasses
from collections.abc import Mapping


@dataclasses.dataclass(frozen=True)
class Row:
    """One family in the table.

    Attributes:
      name: the row's name and its directory under the table's workdir.
      config: ``configs/<file>.py[:args]``, trained as it is for corruption and shift.
      score: the main score (a key of the method's ``scores``).
      heldout: config overrides of the ten held-out-class runs (shorter training), or None
        to skip the protocol for this row.
    """

    name: str
    config: str
    score: str
    heldout: Mapping[str, object] | None


ROWS = (
    Row("made", "configs/autoregressive.py:model=made", "nll", {"train.steps": 5000}),
    Row("vae", "configs/vae.py", "is_nll", {"train.steps": 3000, "eval.nll_samples": 200}),
    Row("rbm", "configs/rbm.py", "nll", {}),
    Row("dbn", "configs/dbn.py", "nll", {}),
    Row("helmholtz", "configs/helmholtz.py", "is_nll", {"train.steps": 5000}),
    Row("autoencoder", "configs/vae.py:variant=autoencoder", "reconstruction", {}),
    Row("gan", "configs/gan.py", "discriminator", {"train.steps": 1500}),
    Row("diffusion", "configs/diffusion.py", "bound", None),
)


def _auroc(results: Mapping | None, condition: str, score: str) -> str:
    try:
        return f"{results[condition][score]['auroc']:.3f}"
    except (KeyError, TypeError):
        return "–"


def table_row(row: Row, report: Mapping) -> str:
    """The markdown row of one family from its outliers.json."""
    protocols = report.get("protocols", {})
    corruption = protocols.get("corruption", {})
    conditions = list(corruption)
    s = row.score
    cells = [_auroc(corruption, c, s) for c in conditions] or ["–"] * 3
    middle = conditions[1] if len(conditions) > 1 else ""
    cells += [
        _auroc(corruption, middle, f"ratio:{s}"),
        _auroc(corruption, middle, f"typicality:{s}"),
    ]
    held = protocols.get("heldout")
    if held:
        mean, spread = held["mean"][s]["auroc"], held["spread"][s]["auroc"]
        classes = len([k for k in held if k.startswith("class ")])
        cells.append(f"{mean:.3f} ± {spread:.3f} ({classes})")
    else:
        cells.append("–")
    shift = protocols.get("shift")
    cells += [_auroc(shift, "mnist5k as digits", n) for n in (s, f"ratio:{s}", f"typicality:{s}")]
    corruption_kind = "flip" if conditions and "flipped" in conditions[0] else "noise"
    estimator = report.get("estimators", {}).get(s, "").replace("|", "\\|")
    return f"| {row.name} | {s}: {estimator} | {corruption_kind} | " + " | ".join(cells) + " |"


def markdown(rows: list[str], title: str) -> str:
    """The table from its rows."""
    head = (
        f"{title}\n\n| family | score: estimator | corruption | 5% | 10% | 20% | 10% ratio | "
        "10% typicality | held-out class, mean ± sd (classes) | shift | shift ratio | "
        "shift typicality |\n" + "|---" * 12 + "|\n"
    )
    return head + "\n".join(rows) + "\n"
