"""Runs (layer 4): a whole experiment from a config — its settings read and checked at once
(``genjax.run.settings``), trained and evaluated (``genjax.run.experiment``:
``train_and_evaluate``), and a trained run restored from its workdir
(``genjax.run.restore``: ``load_trained``); around a run, its workdir checked and locked
(``genjax.run.workdir``), SIGTERM turned into a save and a clean stop
(``genjax.run.preemption``) and the start-up of several processes (``genjax.run.distributed``);
a run's method and steps kept for a later run of the same settings in the process
(``genjax.run.builds``).

May import: every layer below and ``genjax.eval``; never ``genjax.tools``.
"""

from genjax.run.experiment import train_and_evaluate
from genjax.run.restore import Trained, load_trained
from genjax.run.settings import Settings, read_settings

__all__ = ["Settings", "Trained", "load_trained", "read_settings", "train_and_evaluate"]
