"""Running the model: seeds, paired evaluation, Hydra jobs and sweeps.

:mod:`~s3sim.experiments.simulation` runs one configuration over seeds,
:mod:`~s3sim.experiments.evaluation` pairs a policy with its baseline,
:mod:`~s3sim.experiments.job` is one Hydra job and :mod:`~s3sim.experiments.sweep`
gathers a multirun.
"""
