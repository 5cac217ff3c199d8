"""The typed ``config.eval`` section: evaluation batches, the picture's sample count, and the
sample-quality suite's settings."""

import dataclasses
import os
from collections.abc import Collection, Mapping

from genjax.checks import check_at_least, check_choice, read_section
from genjax.eval.features import FEATURE_ARCHS

SPLITS = ("train", "test")
INCEPTION = "inception:"
INCEPTION_FILE = "pt_inception-2015-12-05-6726825d.pth"


def inception_weights(features: str) -> str:
    """The weights path of ``features="inception:PATH"`` (user-expanded), else ""."""
    if not features.startswith(INCEPTION):
        return ""
    return os.path.expanduser(features[len(INCEPTION) :])


@dataclasses.dataclass(frozen=True)
class SuiteConfig:
    """``config.eval.suite``: FD, KID, precision/recall, inception-style score and class
    accuracy in the features of a network trained on the dataset, read between the floor (the
    other split) and a naive ceiling (independent per-pixel marginals).

    Attributes:
      enabled: compute the suite at every eval step and at the end.
      features: a ``genjax.eval.FEATURE_ARCHS`` name (a network trained on the dataset), or
        ``inception:PATH``: pytorch-fid's Inception pool3 from the weights file at PATH
        (paper-comparable FID/KID).
      feature_dir: the feature networks' cache ("": $GENJAX_FEATURE_DIR or ~/.cache).
      train_features: train the feature network if it is not cached.
      reference: the split samples are compared with; the other is the floor.
      num_samples: sample count, capped at the floor split's size so all sets match.
      chunk: images generated and featurised at a time.
      kid_subsets: disjoint subsets of KID (its standard error).
      pr_k: the neighbourhood of precision/recall.
    """

    enabled: bool = False
    features: str = "conv"
    feature_dir: str = ""
    train_features: bool = True
    reference: str = "test"
    num_samples: int = 10_000
    chunk: int = 1_000
    kid_subsets: int = 10
    pr_k: int = 3

    def __post_init__(self):
        if self.features.startswith(INCEPTION):
            path = inception_weights(self.features)
            if not os.path.isfile(path):
                raise ValueError(
                    f"eval.suite.features={self.features!r}: no file at {path!r}; download "
                    f"pytorch-fid's {INCEPTION_FILE} (see the README) and pass inception:<its path>"
                )
        else:
            check_choice("eval.suite.features", self.features, FEATURE_ARCHS)
        check_choice("eval.suite.reference", self.reference, SPLITS)
        for name in ("num_samples", "chunk", "kid_subsets", "pr_k"):
            check_at_least(f"eval.suite.{name}", getattr(self, name), 1)


@dataclasses.dataclass(frozen=True)
class EvalConfig:
    """``config.eval``: batch_size of test-split evaluation (a multiple of the device count),
    num_samples in the sample picture, and the suite."""

    batch_size: int = 256
    num_samples: int = 64
    suite: SuiteConfig = dataclasses.field(default_factory=SuiteConfig)

    def __post_init__(self):
        check_at_least("eval.batch_size", self.batch_size, 1)
        check_at_least("eval.num_samples", self.num_samples, 1)

    @classmethod
    def read(
        cls, section: Mapping | None, skip: Collection[str] = (), strict: bool = True
    ) -> "EvalConfig":
        """The typed section; ``skip`` names a method's own fields (eval.nll_samples)."""
        section = section or {}
        suite = read_section(
            section.get("suite"),
            SuiteConfig,
            "eval.suite",
            owner="the evaluation suite",
            strict=strict,
        )
        return read_section(
            section, cls, "eval", owner="evaluation", skip=skip, strict=strict, suite=suite
        )
