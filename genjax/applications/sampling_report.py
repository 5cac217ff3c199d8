"""The table of ``experiments.sampling_variance``: per base sampler and estimator, the mean
estimate, its standard error, the mean per-example variance across repeats and its ratio to
simple random sampling's."""

import numpy as np


def summarize(results: dict, k: int, repeats: int, dataset: str, step: int) -> dict:
    """Per technique and estimator: mean estimate, its standard error, the mean per-example
    variance across repeats and its ratio to simple random sampling's."""
    base = results.get("random")
    rows = {}
    for method, est in results.items():
        rows[method] = {}
        for name, values in est.items():  # values [repeats, examples]
            var = values.var(axis=0, ddof=1).mean()
            row = {
                "mean": float(values.mean()),
                "se": float(values.mean(axis=1).std(ddof=1) / np.sqrt(repeats)),
                "variance": float(var),
            }
            if base is not None:
                row["variance_ratio_random_over_this"] = float(
                    base[name].var(axis=0, ddof=1).mean() / var
                )
            rows[method][name] = row
    examples = next(iter(results.values()))["elbo"].shape[1]
    return {
        "dataset": dataset,
        "split": "test",
        "examples": int(examples),
        "num_samples": k,
        "repeats": repeats,
        "step": step,
        "techniques": rows,
    }


def markdown(report: dict) -> str:
    lines = [
        f"{report['dataset']} test split, {report['examples']} examples, step {report['step']}: "
        f"K = {report['num_samples']} draws per estimate, {report['repeats']} repeats",
        "",
        "| base draws | IS NLL (nats) | its variance | ratio to random | ELBO (nats) "
        "| its variance | ratio to random |",
        "|---|---|---|---|---|---|---|",
    ]
    for method, row in report["techniques"].items():
        cells = []
        for name in ("is_nll", "elbo"):
            r = row[name]
            ratio = r.get("variance_ratio_random_over_this", float("nan"))
            cells += [f"{r['mean']:.3f} ± {r['se']:.3f}", f"{r['variance']:.2e}", f"{ratio:.2f}"]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


__all__ = ["markdown", "summarize"]
