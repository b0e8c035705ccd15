r"""Net benefit and the marginal value of public funds of a policy, paired with its baseline.

The ratio "money per additional entry" explodes when a policy adds little and says
nothing about costs borne by firms. Policies are therefore also compared on full costs
and benefits, per region and for the whole system of regions (gains in one region may
come at another's expense when regions compete for world demand). The valuation is the
one the agents use (:mod:`s3sim.engine.valuation`):

Net benefit (per seed and region, discount rate :math:`\delta`)
    .. math::

        NB = \sum_{t=1}^{T} (1+\delta)^{-t}\,\bigl[v_{rt}\,\Delta Y_t - \Delta C_t
             + \Delta H_t - (1+\lambda)\,\Delta G_t\bigr],

    where :math:`\Delta Y_t` is the output gain over the paired baseline (output units:
    a mean initial firm's yearly output), valued at the share
    :math:`v_{rt} = \mu + (1-\mu)(1-s_{rt})` that is a social gain: the owners' margin
    :math:`\mu = V_0/Q_\delta` (rents valued at what a success is worth to its owner,
    ``success_value``) plus the wages of inputs that would otherwise be idle, with the
    shadow-wage factor :math:`s_{rt} = 1 - u_{rt}` from the region's simulated idle
    labour :math:`u = \max(0, 1 - E/L)` (at the mean employment of the two runs: the
    shadow wage integrated over the change). A fixed opportunity cost of inputs
    :math:`\omega` (``input_cost_share``) gives :math:`v = 1-\omega` instead;
    ``full_employment`` sets :math:`s = 1` (:math:`v = \mu`). :math:`\Delta C_t` is the
    additional private cost of diversification attempts paid by firms (net of grants),
    :math:`\Delta H_t` the firms' additional idiosyncratic value of the attempts they
    made (the random-utility term of their go/no-go decisions; Small & Rosen 1981), and
    :math:`\Delta G_t` the additional public spending including administrative costs;
    :math:`\lambda` is the marginal cost of public funds (Dahlby 2008). A grant for an
    attempt that would have happened anyway lowers :math:`\Delta C` by what it raises
    :math:`\Delta G`: it costs :math:`\lambda` per unit. With no externality, no idle
    inputs and firms deciding on value, no subsidy has a positive expected net benefit
    (``tests/test_money.py``). Reported at 3 % and 5 % (the European Commission's
    cost-benefit guide uses both).
Marginal value of public funds (Hendren & Sprung-Keyser 2020)
    .. math::

        MVPF = \frac{\sum_t (1+\delta)^{-t} (v\,\Delta Y_t - \Delta C_t + \Delta H_t)}
                    {\sum_t (1+\delta)^{-t} (\Delta G_t - \tau \Delta Y_t)},

    the beneficiaries' willingness to pay per unit of net cost to the government, which
    recovers a share :math:`\tau` of additional output as taxes. A non-positive net
    cost (the policy pays for itself) gives :math:`+\infty`. Averaged across seeds as
    a ratio of means (totals), never as a mean of ratios.

References
----------
.. [1] Hendren, N. & Sprung-Keyser, B. (2020). A unified welfare analysis of government
   policies. Quarterly Journal of Economics 135(3), 1209-1318.
.. [2] Dahlby, B. (2008). The Marginal Cost of Public Funds. MIT Press.
.. [3] European Commission (2014). Guide to Cost-Benefit Analysis of Investment Projects.
.. [4] Small, K. A. & Rosen, H. S. (1981). Applied welfare economics with discrete choice
   models. Econometrica 49(1), 105-130.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from s3sim.engine.valuation import (
    SuccessValue,
    measure_success_value,
    shadow_wage_factor,
    valued_share,
)

__all__ = ["VALUATIONS", "WelfareParameters", "divergence", "paired_welfare", "resilience",
           "success_value_of_result", "system_welfare"]

_KEYS = ["seed", "region"]


@dataclass(frozen=True)
class WelfareParameters:
    r"""Evaluation parameters (not model parameters: they change no simulated number).

    Attributes
    ----------
    discount_rates : tuple of float
        Social discount rates at which net benefit is reported.
    mcpf : float
        Marginal cost of public funds :math:`\lambda` (0.3: recalled central value of
        the estimates surveyed by Dahlby 2008).
    tax_rate : float
        Share :math:`\tau` of additional output that returns to the government.
    input_cost_share : float or None
        A fixed opportunity cost :math:`\omega` of the inputs behind additional output
        (a share of it); None (default): the shadow wage of the region's simulated
        labour market.
    full_employment : bool
        Value inputs at their market price whatever the labour market (:math:`s = 1`).
    """

    discount_rates: tuple[float, ...] = (0.03, 0.05)
    mcpf: float = 0.3
    tax_rate: float = 0.3
    input_cost_share: float | None = None
    full_employment: bool = False

    def __post_init__(self) -> None:
        for name, value in (("mcpf", self.mcpf), ("tax_rate", self.tax_rate)):
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        if self.input_cost_share is not None and (
                not np.isfinite(self.input_cost_share) or not 0 <= self.input_cost_share <= 1):
            raise ValueError("input_cost_share must be None (shadow wage) or a share in "
                             f"[0, 1], got {self.input_cost_share}")
        if any(not np.isfinite(r) or r <= -1 for r in self.discount_rates):
            raise ValueError(f"discount rates must be finite and > -1, got {self.discount_rates}")

    @property
    def label(self) -> str:
        """How inputs are valued, in words (for reports)."""
        if self.input_cost_share is not None:
            return f"opportunity cost of inputs {self.input_cost_share:g} of output"
        return "full employment" if self.full_employment else "shadow wage"


#: The three valuations every study reports (``net_benefit`` is the shadow wage's).
VALUATIONS: dict[str, WelfareParameters] = {
    "shadow_wage": WelfareParameters(),
    "full_employment": WelfareParameters(full_employment=True),
    "idle_inputs": WelfareParameters(input_cost_share=0.0),
}


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series(0.0, index=frame.index)


def _rate_label(rate: float) -> str:
    return f"{round(rate * 100, 6):g}pct".replace(".", "_")


def paired_welfare(policy: pd.DataFrame, baseline: pd.DataFrame,
                   params: WelfareParameters | None = None,
                   success: SuccessValue | None = None) -> pd.DataFrame:
    """Net benefit and MVPF per (seed, region) of a policy against its paired baseline.

    Parameters
    ----------
    policy, baseline : DataFrame
        ``regions`` tables of the two runs (same seeds, regions and steps): columns
        ``seed, step, region, region_type, output, budget_spent`` and, when the
        model records them, ``private_cost`` (attempt costs paid by firms, net of
        grants), ``idiosyncratic_value``, ``employment``, ``labour_force``,
        ``established``.
    params : WelfareParameters, optional
    success : SuccessValue, optional
        The economy's measured value of a success
        (:func:`s3sim.engine.valuation.measure_success_value`, or
        :func:`success_value_of_result`); needed unless ``params.input_cost_share`` is
        set.

    Returns
    -------
    DataFrame
        One row per (seed, region): ``region_type``, ``output_gain_pv``,
        ``valued_output_gain_pv`` and ``spent_pv`` (at the first discount rate),
        ``private_cost_pv``, ``idiosyncratic_value_pv``, ``net_benefit_<r>pct`` for each
        rate, ``mvpf``, ``mvpf_numerator`` and ``mvpf_denominator`` (so that means of
        totals can be formed), ``valued_share`` (mean over years), ``established_gain``
        (additional established new specialisations), ``output_gain_final`` and
        ``employment_gain_final`` (last year's differences).

    Examples
    --------
    >>> base = pd.DataFrame({"seed": 0, "step": [0, 1], "region": 0, "region_type": "x",
    ...                      "output": [10.0, 10.0], "budget_spent": [0.0, 0.0]})
    >>> pol = base.assign(output=[10.0, 12.0], budget_spent=[0.0, 1.0])
    >>> params = WelfareParameters((0.0,), mcpf=0.0, tax_rate=0.0, input_cost_share=0.0)
    >>> w = paired_welfare(pol, base, params)
    >>> float(w["net_benefit_0pct"].iloc[0]), float(w["mvpf"].iloc[0])
    (1.0, 2.0)
    """
    params = params or WelfareParameters()
    if params.input_cost_share is None and success is None:
        raise ValueError("valuing inputs at the shadow wage needs the economy's value of a "
                         "success: pass success=success_value_of_result(result) (or set "
                         "input_cost_share)")
    cols = ["seed", "step", "region"]
    p = policy.sort_values(cols).reset_index(drop=True)
    b = baseline.sort_values(cols).reset_index(drop=True)
    if len(p) != len(b) or not (p[cols].to_numpy() == b[cols].to_numpy()).all():
        raise ValueError("policy and baseline tables must cover the same seeds, steps and "
                         "regions (run both on the same configuration and seeds)")
    p = p[p["step"] > 0]
    b = b[b["step"] > 0]
    d_output = p["output"].to_numpy() - b["output"].to_numpy()
    d_private = _column(p, "private_cost").to_numpy() - _column(b, "private_cost").to_numpy()
    d_taste = (_column(p, "idiosyncratic_value").to_numpy()
               - _column(b, "idiosyncratic_value").to_numpy())
    spent = p["budget_spent"].to_numpy() - b["budget_spent"].to_numpy()
    shadow = _shadow(p, b, params)
    step = p["step"].to_numpy()
    frame = p[["seed", "region", "region_type"]].copy()
    out = frame.groupby(_KEYS, sort=True).first()
    for i, rate in enumerate(params.discount_rates):
        mu = 1.0 if success is None else success.rent_margin(rate)
        share = valued_share(mu, shadow, params.input_cost_share)
        disc = (1.0 + rate) ** -step.astype(float)
        parts = pd.DataFrame({
            "seed": frame["seed"].to_numpy(), "region": frame["region"].to_numpy(),
            "gain": disc * d_output, "net_gain": disc * share * d_output,
            "private": disc * d_private, "taste": disc * d_taste, "spent": disc * spent,
            "share": share,
        }).groupby(_KEYS, sort=True)
        sums = parts.sum()
        net = sums["net_gain"] - sums["private"] + sums["taste"] - (1.0 + params.mcpf) * sums[
            "spent"]
        out[f"net_benefit_{_rate_label(rate)}"] = net
        if i == 0:
            out["output_gain_pv"] = sums["gain"]
            out["valued_output_gain_pv"] = sums["net_gain"]
            out["private_cost_pv"] = sums["private"]
            out["idiosyncratic_value_pv"] = sums["taste"]
            out["spent_pv"] = sums["spent"]
            out["valued_share"] = parts["share"].mean()
            numerator = sums["net_gain"] - sums["private"] + sums["taste"]
            denominator = sums["spent"] - params.tax_rate * sums["gain"]
            out["mvpf_numerator"] = numerator
            out["mvpf_denominator"] = denominator
            out["mvpf"] = _mvpf(numerator.to_numpy(), denominator.to_numpy())
    if "established" in p:
        est = (p.groupby(_KEYS, sort=True)["established"].sum()
               - b.groupby(_KEYS, sort=True)["established"].sum())
        out["established_gain"] = est
    last = p["step"] == p["step"].max()
    final = pd.DataFrame({"seed": frame["seed"].to_numpy()[last],
                          "region": frame["region"].to_numpy()[last],
                          "output_gain_final": d_output[last.to_numpy()]})
    if "employment" in p:
        final["employment_gain_final"] = (p["employment"].to_numpy()
                                          - b["employment"].to_numpy())[last.to_numpy()]
    out = out.join(final.set_index(_KEYS))
    return out.reset_index()


def _shadow(p: pd.DataFrame, b: pd.DataFrame, params: WelfareParameters) -> np.ndarray:
    """Shadow-wage factor per row: 1 at full employment, else from mean employment."""
    if params.full_employment or params.input_cost_share is not None:
        return np.ones(len(p))
    if "labour_force" not in p or "employment" not in p:
        raise ValueError("the shadow wage needs the employment and labour_force columns of "
                         "the regions tables (rerun with this version of s3sim, or set "
                         "input_cost_share)")
    mean_employment = 0.5 * (p["employment"].to_numpy() + b["employment"].to_numpy())
    return shadow_wage_factor(mean_employment, p["labour_force"].to_numpy())


def success_value_of_result(result: Any) -> SuccessValue:
    """The measured value of a success of the economy a :class:`SimulationResult` ran."""
    from s3sim.config import model_config_from_mapping

    config = model_config_from_mapping(result.metadata["model"])
    return measure_success_value(config, result.product_space)


def resilience(regions: pd.DataFrame, shock_year: int) -> pd.DataFrame:
    """Output lost and years to recover after a shock, per seed (totals over regions).

    ``output_lost``: sum over the years from the shock on of the shortfall of total output
    below its level the year before the shock, relative to that level (output-years);
    ``years_to_recover``: years until total output is back at that level (the remaining
    horizon plus one if it never is).
    """
    total = regions.groupby(["seed", "step"])["output"].sum().unstack("step")
    before = total[shock_year - 1]
    after = total.loc[:, total.columns >= shock_year]
    shortfall = (1.0 - after.div(before, axis=0)).clip(lower=0.0)
    recovered = after.ge(before, axis=0).to_numpy()
    first = np.where(recovered.any(axis=1), recovered.argmax(axis=1), after.shape[1] + 1)
    return pd.DataFrame({"output_lost": shortfall.sum(axis=1),
                         "years_to_recover": first.astype(float)}, index=total.index)


def divergence(regions: pd.DataFrame) -> pd.Series:
    """Leading-minus-lagging gap in output growth per seed: ``mean log(Y_T / Y_0)``.

    Positive values mean leading regions grew faster (divergence). A policy's effect on
    divergence is its paired difference with the baseline's.
    """
    first = regions[regions["step"] == regions["step"].min()].set_index(_KEYS)["output"]
    last_rows = regions[regions["step"] == regions["step"].max()].set_index(_KEYS)
    growth = np.log(last_rows["output"] / first.reindex(last_rows.index))
    by_type = growth.groupby([last_rows.index.get_level_values("seed"),
                              last_rows["region_type"]]).mean().unstack()
    if not {"leading", "lagging"} <= set(by_type.columns):
        return pd.Series(np.nan, index=by_type.index, name="divergence")
    return (by_type["leading"] - by_type["lagging"]).rename("divergence")


def _mvpf(numerator: np.ndarray, denominator: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = numerator / denominator
    return np.where(denominator > 0, ratio, np.where(numerator > 0, np.inf, np.nan))


def system_welfare(per_region: pd.DataFrame,
                   columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Totals over all regions per seed (the whole system), with its MVPF.

    Parameters
    ----------
    per_region : DataFrame
        Output of :func:`paired_welfare`.
    columns : sequence of str, optional
        Additive columns to total (default: every net benefit, present values,
        MVPF parts and ``established_gain``).
    """
    if columns is None:
        columns = [c for c in per_region.columns
                   if c.startswith("net_benefit_") or c.endswith("_pv")
                   or c in ("mvpf_numerator", "mvpf_denominator", "established_gain")]
    total = per_region.groupby("seed", sort=True)[list(columns)].sum()
    if {"mvpf_numerator", "mvpf_denominator"} <= set(total.columns):
        total["mvpf"] = _mvpf(total["mvpf_numerator"].to_numpy(),
                              total["mvpf_denominator"].to_numpy())
    return total.reset_index()
