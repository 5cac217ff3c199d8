"""Sample-quality evaluation: feature spaces, metrics, and the suite with floor and ceiling.

Metrics take features, not images, so any ``features(images) -> [N, D]`` works:

  space = FeatureSpace("inception pool3", my_inception_fn)
  compare(extract(space, sample_chunks), extract(space, reference_chunks))
"""

from genjax.eval.classifier import conditional_accuracy, inception_score
from genjax.eval.feature_training import get_feature_space
from genjax.eval.features import FEATURE_ARCHS, FeatureSpace
from genjax.eval.fid import frechet_distance, trace_sqrt_product
from genjax.eval.kid import kernel_inception_distance, mmd2_unbiased
from genjax.eval.manifold import precision_recall
from genjax.eval.metrics import FeatureSet, compare, extract
from genjax.eval.stats import GaussianStats, gaussian_stats
from genjax.eval.suite import Suite, build_suite

__all__ = [
    "FEATURE_ARCHS",
    "FeatureSet",
    "FeatureSpace",
    "GaussianStats",
    "Suite",
    "build_suite",
    "compare",
    "conditional_accuracy",
    "extract",
    "frechet_distance",
    "gaussian_stats",
    "get_feature_space",
    "inception_score",
    "kernel_inception_distance",
    "mmd2_unbiased",
    "precision_recall",
    "trace_sqrt_product",
]
