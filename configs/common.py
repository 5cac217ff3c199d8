"""Pieces every config shares: the base ConfigDict and ``key=value,...`` argument parsing.

A config holds only the fields its method reads: a method's settings are read into typed
sections, where any other field is a one-line error (see ``genjax.run.settings``).
"""

from ml_collections import config_dict

from genjax.checks import check_choice


def parse_args(arg: str | None, defaults: dict[str, str]) -> dict[str, str]:
    """Parse ``"dataset=mnist,variant=iwae"`` over ``defaults``; unknown keys are an error."""
    out = dict(defaults)
    for item in filter(None, (arg or "").split(",")):
        key, sep, value = item.partition("=")
        if not sep or key not in defaults:
            raise ValueError(
                f"bad config argument {item!r}; expected key=value with key in: "
                f"{', '.join(defaults)}"
            )
        out[key] = value
    return out


def check_arg(name: str, value: str, valid) -> None:
    """One-line error for a config argument outside its valid values."""
    check_choice(name, value, valid)


def base_config() -> config_dict.ConfigDict:
    """Fields of the spine (data, optim, train, eval); families add model and loss."""
    c = config_dict.ConfigDict()
    c.method = ""
    c.seed = 0
    c.multihost = False  # join a multi-process run (see experiments/launch.py, README)
    c.distributed = config_dict.ConfigDict()  # with multihost; empty: environment, then JAX
    c.distributed.coordinator_address = ""  # host:port of process 0
    c.distributed.num_processes = 0
    c.distributed.process_id = -1
    c.distributed.heartbeat_timeout = 60  # seconds before a silent process counts as dead

    c.data = config_dict.ConfigDict()
    c.data.name = "digits"
    c.data.variant = "binary"  # binary | gray
    c.data.pixel_range = "unit"  # unit [0, 1] | symmetric [-1, 1]
    c.data.data_dir = ""  # empty: $TFDS_DATA_DIR or ~/tensorflow_datasets
    c.data.download = False
    c.data.exclude_label = -1  # drop this class from training (held-out-class outliers)
    c.data.perturb = 0.0  # replace training pixels by random levels (a background model)
    c.data.train_per_class = 0  # keep this many training rows per class (0: all)
    c.data.subset_seed = 0  # which rows train_per_class keeps

    c.optim = config_dict.ConfigDict()
    c.optim.name = "adam"
    c.optim.learning_rate = 1e-3
    c.optim.b1 = 0.9
    c.optim.b2 = 0.999
    c.optim.weight_decay = 0.0
    c.optim.schedule = "cosine"
    c.optim.warmup_steps = 100
    c.optim.decay_steps = 0  # 0: decay over train.steps
    c.optim.final_lr_fraction = 0.05
    c.optim.grad_clip = 0.0

    c.train = config_dict.ConfigDict()
    c.train.steps = 10_000
    c.train.batch_size = 128
    c.train.log_every = 100
    c.train.eval_every = 2_000
    c.train.ckpt_every = 2_000
    c.train.keep_checkpoints = 3
    c.train.ema_decay = 0.999
    c.train.steps_per_call = 1  # updates per dispatch (lax.scan over a stack of batches)
    c.train.compute_dtype = "float32"  # or "bfloat16": bf16 compute, float32 master weights
    c.train.progress = True

    c.eval = config_dict.ConfigDict()
    c.eval.batch_size = 256
    c.eval.num_samples = 64

    # Sample-quality suite (genjax.eval): FD, KID, precision/recall, inception-style score and
    # class accuracy in the features of a network trained on the dataset, read between the
    # floor (the other split) and a naive ceiling (independent per-pixel marginals).
    c.eval.suite = config_dict.ConfigDict()
    c.eval.suite.enabled = False  # compute at every eval step and at the end
    c.eval.suite.features = "conv"  # genjax.eval.FEATURE_ARCHS name
    c.eval.suite.feature_dir = ""  # empty: $GENJAX_FEATURE_DIR or ~/.cache/genjax/features
    c.eval.suite.train_features = True  # train the feature network if it is not cached
    c.eval.suite.reference = "test"  # the split samples are compared with; the other is the floor
    c.eval.suite.num_samples = 10_000  # capped at the floor split's size, so all sets match
    c.eval.suite.chunk = 1_000
    c.eval.suite.kid_subsets = 10
    c.eval.suite.pr_k = 3
    return c


def add_nll_fields(c: config_dict.ConfigDict, samples: int = 1_000, chunk: int = 100) -> None:
    """The eval fields of methods that estimate log p(x) by importance sampling."""
    c.eval.nll_samples = samples  # draws per test example
    c.eval.nll_chunk = chunk  # draws evaluated at a time; divides nll_samples
