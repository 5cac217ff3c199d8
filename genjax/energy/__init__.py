"""Energy-based models (layer 1) as pure functions of parameter dicts: RBMs
(``genjax.energy.rbm``), their partition function exact and by annealed importance sampling
(``genjax.energy.partition``), and deep belief nets (``genjax.energy.dbn``). The contrastive
divergence objective itself is ``genjax.losses.contrastive_divergence_loss``.

May import: jax, numpy and ``genjax.losses`` (its own layer) only.
"""

from genjax.energy.partition import (
    ais_betas,
    ais_log_partition,
    exact_is_feasible,
    exact_log_partition,
    nll,
)
from genjax.energy.rbm import (
    KINDS,
    cd_loss,
    data_log_odds,
    energy,
    free_energy,
    gibbs_chain,
    gibbs_step,
    hidden_logits,
    init_params,
    sample_hidden,
    sample_visible,
    transpose,
    visible_mean,
)

__all__ = [
    "KINDS",
    "ais_betas",
    "ais_log_partition",
    "cd_loss",
    "data_log_odds",
    "energy",
    "exact_is_feasible",
    "exact_log_partition",
    "free_energy",
    "gibbs_chain",
    "gibbs_step",
    "hidden_logits",
    "init_params",
    "nll",
    "sample_hidden",
    "sample_visible",
    "transpose",
    "visible_mean",
]
