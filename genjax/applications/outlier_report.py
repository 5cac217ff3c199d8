"""What ``experiments.outliers`` writes: outliers.json (every protocol run in the workdir, each
score's estimator named), outliers.md (its tables) and roc_<protocol>.png."""

import json
import os
from collections.abc import Mapping

from genjax.applications.plots import roc_png
from genjax.data import DataConfig, describe
from genjax.methods import build_method

METRICS = ("auroc", "auprc", "fpr95")


def estimators(config: Mapping) -> dict[str, str]:
    """Each score's estimator, the derived scores included."""
    method = build_method(config, describe(DataConfig.read(config["data"])))
    out = {name: s.estimator for name, s in method.scores.items()}
    for name, s in method.scores.items():
        if s.nats:
            out[f"ratio:{name}"] = f"{s.estimator}, less the background model's (Ren et al.)"
            out[f"typicality:{name}"] = (
                f"|{name} - its mean on 500 training inputs| (Nalisnick et al.)"
            )
    return out


def protocol_markdown(protocol: str, results: Mapping[str, Mapping]) -> str:
    """One table: a row per condition, a column per score, cells AUROC / AUPRC / FPR95."""
    names = list(next(iter(results.values())))
    lines = [
        f"### {protocol} (cells: AUROC / AUPRC / FPR at 95% TPR; outliers positive)\n",
        "| condition | " + " | ".join(names) + " |",
        "|---" * (len(names) + 1) + "|",
    ]
    for condition, scores in results.items():
        cells = [" / ".join(f"{scores[n][m]:.3f}" for m in METRICS) for n in names]
        lines.append(f"| {condition} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def markdown(report: Mapping) -> str:
    """Every protocol of the report, with the estimators named."""
    head = [f"## Outlier detection: {report['method']} on {report['dataset']}\n"]
    head += [f"- {name}: {text}" for name, text in report["estimators"].items()]
    tables = [protocol_markdown(p, r) for p, r in report["protocols"].items()]
    return "\n".join(head) + "\n\n" + "\n".join(tables)


def write(workdir: str, protocol: str, results: Mapping, raw: Mapping, config: Mapping) -> str:
    """Merge ``results`` into WORKDIR/outliers.json, rewrite outliers.md and draw the ROC
    curves of ``raw`` (condition -> (inlier scores, outlier scores), dicts by score name).

    Returns:
      The markdown of this protocol.
    """
    os.makedirs(workdir, exist_ok=True)
    path = os.path.join(workdir, "outliers.json")
    report = {"protocols": {}}
    if os.path.exists(path):
        with open(path) as f:
            report = json.load(f)
    report.update(
        method=config["method"], dataset=config["data"]["name"], estimators=estimators(config)
    )
    report["protocols"][protocol] = results
    with open(path, "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(workdir, "outliers.md"), "w") as f:
        f.write(markdown(report))
    curves = {c: {n: (a[n], b[n]) for n in a} for c, (a, b) in raw.items()}
    roc_png(curves, os.path.join(workdir, f"roc_{protocol}.png"))
    return protocol_markdown(protocol, results)
