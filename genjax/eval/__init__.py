"""Evaluation (layer 4): sample-quality metrics, feature spaces, the suite with floor and
ceiling, test-split metrics, reports, and the evaluation of saved checkpoints.

Metrics take features, not images, so any ``features(images) -> [N, D]`` works:

  space = FeatureSpace("my features", my_features_fn)
  compare(extract(space, sample_chunks), extract(space, reference_chunks))

Paper-comparable FID/KID use pytorch-fid's Inception, ported to Flax
(``genjax.eval.inception.inception_feature_space(path_to_its_weights)``, or
``--config.eval.suite.features=inception:PATH`` in a run).

This package's namespace holds only the pure metrics (NumPy and SciPy, loading no data,
checkpoint or method code); import the rest from their modules: ``genjax.eval.suite``
(``build_suite``), ``genjax.eval.feature_training`` (``get_feature_space``),
``genjax.eval.features`` (``FeatureSpace``), ``genjax.eval.inception``,
``genjax.eval.test_split``,
``genjax.eval.report``, ``genjax.eval.checkpoint`` (``evaluate_checkpoint``).

May import: every layer below (data, the pure layer, methods, train) and ``genjax.run``'s
restore; never ``genjax.tools``.
"""

from genjax.eval.classifier import conditional_accuracy, inception_score
from genjax.eval.fid import frechet_distance, trace_sqrt_product
from genjax.eval.kid import kernel_inception_distance, mmd2_unbiased
from genjax.eval.manifold import precision_recall
from genjax.eval.stats import GaussianStats, gaussian_stats

__all__ = [
    "GaussianStats",
    "conditional_accuracy",
    "frechet_distance",
    "gaussian_stats",
    "inception_score",
    "kernel_inception_distance",
    "mmd2_unbiased",
    "precision_recall",
    "trace_sqrt_product",
]
