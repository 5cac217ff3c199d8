"""Runs (layer 4): a whole experiment from a config — its settings read and checked at once
(``genjax.run.settings``), trained and evaluated (``genjax.run.experiment``:
``train_and_evaluate``), and a trained run restored from its workdir
(``genjax.run.restore``: ``load_trained``).

May import: every layer below and ``genjax.eval``; never ``genjax.tools``.
"""
