"""Energy-based models as pure functions: RBMs (``genjax.energy.rbm``) and their partition
function, exact and by annealed importance sampling (``genjax.energy.partition``)."""

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
