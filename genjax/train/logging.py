"""Metric writers: TensorBoard event files (tensorboardX, no TensorFlow) and metrics.jsonl."""

import json
import math
import os

import numpy as np
from tensorboardX import SummaryWriter


class MetricWriter:
    """Writes scalars and images under ``workdir`` from process 0 only."""

    def __init__(self, workdir: str, enabled: bool = True):
        self._enabled = enabled
        self._tb = SummaryWriter(os.path.join(workdir, "tensorboard")) if enabled else None
        self._jsonl = open(os.path.join(workdir, "metrics.jsonl"), "a") if enabled else None

    def scalars(self, step: int, split: str, metrics: dict[str, float]) -> None:
        if not self._enabled:
            return
        clean = {k: float(v) for k, v in metrics.items()}
        for name, value in clean.items():
            self._tb.add_scalar(f"{split}/{name}", value, step)
        row = {"step": step, "split": split}
        row.update({k: (v if math.isfinite(v) else str(v)) for k, v in clean.items()})
        self._jsonl.write(json.dumps(row) + "\n")
        self._jsonl.flush()

    def image(self, step: int, name: str, grid: np.ndarray) -> None:
        """``grid`` is an HWC uint8 image."""
        if self._enabled:
            self._tb.add_image(name, grid, step, dataformats="HWC")

    def close(self) -> None:
        if self._enabled:
            self._tb.close()
            self._jsonl.close()
