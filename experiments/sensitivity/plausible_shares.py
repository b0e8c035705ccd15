"""Win shares of smart specialisation on the default economy, without Morris/Sobol.

Used for experiments/sensitivity/README.md when the full study did not fit in the time
available: the share of parameter sets in which S3 beats the generic subsidy over the
calibration's plausible set and over uniform samples of the bounds (x1, x1.5, x0.5),
with the parameters, arms and outcomes of ``experiment=sensitivity``.

    python experiments/sensitivity/plausible_shares.py OUT_DIR [REPLICATIONS] [POINTS]
"""

import sys
from pathlib import Path

import pandas as pd
from hydra import compose, initialize_config_dir

from s3sim.calibration.parameters import ParameterSpace
from s3sim.calibration.sensitivity import (
    PolicyQuestion,
    _clip_valid,
    _plausible_rows,
    _share_rows,
    _uniform,
    evaluate_sets,
)
from s3sim.config import policy_config_from_mapping
from s3sim.experiments.job import CONFIG_DIR, job_configs

out = Path(sys.argv[1])
reps = int(sys.argv[2]) if len(sys.argv) > 2 else 2
points = int(sys.argv[3]) if len(sys.argv) > 3 else 16
out.mkdir(parents=True, exist_ok=True)
with initialize_config_dir(config_dir=str(CONFIG_DIR), version_base="1.3"):
    cfg = compose("config", overrides=["experiment=sensitivity", f"replications={reps}"])
model, _, seeds = job_configs(cfg)
study = cfg.study
q = PolicyQuestion(model, policy_config_from_mapping(study.arms.treatment),
                   policy_config_from_mapping(study.arms.comparator), tuple(seeds),
                   tuple(study.outcomes), tuple(study.optional_outcomes))
space = ParameterSpace.from_mapping(dict(study.parameters))
plaus = Path(__file__).parents[1] / "calibration" / "results" / "plausible_set.csv"
shares = []
x, names = _plausible_rows(space, plaus, 64, 2)
y = evaluate_sets(q, space, x, n_jobs=2, chunk=4, desc="plausible set")
pd.concat([pd.DataFrame(x, columns=space.names), y], axis=1).to_csv(
    out / "share_samples_plausible.csv", index=False)
shares.append(_share_rows("calibrated plausible set (scenario parameters from it, "
                          "others uniform)", 1.0, y))
for factor, n in ((1.0, points), (1.5, points // 2), (0.5, points // 2)):
    s = _clip_valid(space.scaled(factor), q)
    x = _uniform(s, n, 1)
    y = evaluate_sets(q, s, x, n_jobs=2, chunk=4, desc=f"bounds x{factor:g}")
    pd.concat([pd.DataFrame(x, columns=s.names), y], axis=1).to_csv(
        out / f"share_samples_x{factor:g}.csv", index=False)
    shares.append(_share_rows(f"uniform over every parameter, bounds x{factor:g}", factor, y))
pd.concat(shares, ignore_index=True).to_csv(out / "win_shares.csv", index=False)
print(pd.concat(shares, ignore_index=True))
