r"""Private and social value of one success, side by side, for the two reference economies.

    python scripts/success_values.py [--seeds 6] [--years 20]

Prints the Markdown table quoted in ``docs/model.md`` 7.10:

* the owner's private value of a success (:math:`V_q`, mean over the products a region
  lacks) and the measured output stream of a successful entrant (:math:`Q`, the owners'
  margin :math:`\mu = V_0/Q`);
* the first-order social value by channel (``valuation.social_value_of_success``,
  mean over the absent (region, product) cells after 5 laissez-faire years, at the three
  valuations);
* the measured social value of one *additional* entrant: a generic subsidy of 0.1 % of
  output against the baseline on the same seeds, its valued output gain, private costs
  and idiosyncratic value per additional firm entry (present values at 3 %).
"""

from __future__ import annotations

import argparse

import numpy as np

from s3sim.config import PolicyConfig, policy_preset
from s3sim.engine.observation import observe
from s3sim.engine.valuation import SocialValue, measure_success_value
from s3sim.experiments.simulation import run_simulation
from s3sim.experiments.welfare import VALUATIONS, paired_welfare
from s3sim.model import S3Model
from s3sim.scenarios import SCENARIOS

INPUTS = {"shadow_wage": None, "full_employment": "full", "idle_inputs": 0.0}


def _analytic(economy: str) -> dict[str, dict[str, float]]:
    model = S3Model(SCENARIOS[economy].replace(steps=5), PolicyConfig("none"), rng=0).run()
    obs = observe(model.state)
    absent = ~obs.presence
    out = {}
    for name, omega in INPUTS.items():
        if omega == "full":  # full employment: the owners' margin only
            mu = measure_success_value(model.config, model.product_space).rent_margin(0.03)
            value = obs.social_value(0.03, 1.0 - mu)
        else:
            value = obs.social_value(0.03, omega)
        out[name] = {ch: float(getattr(value, ch)[absent].mean()) for ch in SocialValue.CHANNELS}
        out[name]["total"] = float(value.total[absent].mean())
    return out


def _measured(economy: str, seeds: list[int], years: int) -> dict[str, dict[str, float]]:
    config = SCENARIOS[economy].replace(steps=years)
    response = 0.0 if economy == "market_failures" else 1.0
    base = run_simulation(config, PolicyConfig("none"), seeds)
    run = run_simulation(config, policy_preset("generic_subsidy").replace(
        budget_share=0.001, attempt_response=response), seeds)
    success = measure_success_value(config, base.product_space)
    added = float(run.regions["firm_entries"].sum() - base.regions["firm_entries"].sum())
    out = {}
    for name, params in VALUATIONS.items():
        w = paired_welfare(run.regions, base.regions, params, success).sum(numeric_only=True)
        out[name] = {"valued_output": w["valued_output_gain_pv"] / added,
                     "private_cost": w["private_cost_pv"] / added,
                     "idiosyncratic": w["idiosyncratic_value_pv"] / added,
                     "spent": w["spent_pv"] / added,
                     "net_benefit": w["net_benefit_3pct"] / added,
                     "added": added / len(seeds)}
    return out


def main() -> None:
    """Print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=6)
    parser.add_argument("--years", type=int, default=20)
    args = parser.parse_args()
    seeds = list(range(args.seeds))
    print("| economy | valuation | owner V_q | followers | labour | coordination | spillover "
          "| crowding | congestion | competition | social value (first order) | measured: "
          "valued output / private cost / idiosyncratic value / net benefit per "
          "additional entrant |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for economy in ("default", "market_failures"):
        success = measure_success_value(SCENARIOS[economy], S3Model(
            SCENARIOS[economy].replace(steps=0), rng=0).product_space)
        print(f"<!-- {economy}: Q = {success.output(0.03):.2f} output units, "
              f"mu = {success.rent_margin(0.03):.3f}, V0 = {success.private_value:g} -->")
        analytic, measured = _analytic(economy), _measured(economy, seeds, args.years)
        for name in INPUTS:
            a, m = analytic[name], measured[name]
            cells = " | ".join(f"{a[ch]:.2f}" for ch in SocialValue.CHANNELS)
            print(f"| {economy} | {name.replace('_', ' ')} | {cells} | {a['total']:.2f} | "
                  f"{m['valued_output']:.2f} / {m['private_cost']:.2f} / "
                  f"{m['idiosyncratic']:.2f} / {m['net_benefit']:.2f} |")
        print(f"<!-- {economy}: {measured['shadow_wage']['added']:.0f} additional entrants "
              f"per seed, {args.seeds} seeds, {args.years} years -->")
    np.seterr(all="ignore")


if __name__ == "__main__":
    main()
