r"""Net benefit and the marginal value of public funds of a policy, paired with its baseline.

The ratio "money per additional entry" explodes when a policy adds little and says
nothing about costs borne by firms. Policies are therefore also compared on full costs
and benefits, per region and for the whole system of regions (gains in one region may
come at another's expense when regions compete for world demand):

Net benefit (per seed and region, discount rate :math:`\delta`)
    .. math::

        NB = \sum_{t=1}^{T} (1+\delta)^{-t}\,\bigl[(1-\omega)\Delta Y_t - \Delta C_t
             - (1+\lambda)\,\Delta G_t\bigr],

    where :math:`\Delta Y_t` is the output gain over the paired baseline (output units:
    a mean initial firm's yearly output), :math:`\Delta C_t` the additional private cost
    of diversification attempts paid by firms (net of grants), :math:`\Delta G_t` the
    additional public spending including administrative costs (all of it when the
    comparison is laissez-faire), :math:`\lambda` the marginal cost of public funds
    (excess burden of taxation; Dahlby 2008) and :math:`\omega` the opportunity cost of
    the inputs the additional output draws from other uses, as a share of that output
    (0 when they would otherwise be idle; about the labour share when fully employed).
    A pure transfer (a grant for an attempt that would have happened anyway) lowers
    :math:`\Delta C` by what it raises :math:`\Delta G`: it costs :math:`\lambda` per unit.
    Reported at 3 % and 5 % (the European Commission's cost-benefit guide uses both).
Marginal value of public funds (Hendren & Sprung-Keyser 2020)
    .. math::

        MVPF = \frac{\sum_t (1+\delta)^{-t} ((1-\omega)\Delta Y_t - \Delta C_t)}
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
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["WelfareParameters", "divergence", "paired_welfare", "resilience",
           "system_welfare"]

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
    input_cost_share : float
        :math:`\omega`, the opportunity cost of the inputs behind additional output.
    """

    discount_rates: tuple[float, ...] = (0.03, 0.05)
    mcpf: float = 0.3
    tax_rate: float = 0.3
    input_cost_share: float = 0.0

    def __post_init__(self) -> None:
        for name, value in (("mcpf", self.mcpf), ("tax_rate", self.tax_rate),
                            ("input_cost_share", self.input_cost_share)):
            if not np.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value}")
        if any(not np.isfinite(r) or r <= -1 for r in self.discount_rates):
            raise ValueError(f"discount rates must be finite and > -1, got {self.discount_rates}")


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return frame[name] if name in frame else pd.Series(0.0, index=frame.index)


def _rate_label(rate: float) -> str:
    return f"{round(rate * 100, 6):g}pct".replace(".", "_")


def paired_welfare(policy: pd.DataFrame, baseline: pd.DataFrame,
                   params: WelfareParameters | None = None) -> pd.DataFrame:
    """Net benefit and MVPF per (seed, region) of a policy against its paired baseline.

    Parameters
    ----------
    policy, baseline : DataFrame
        ``regions`` tables of the two runs (same seeds, regions and steps): columns
        ``seed, step, region, region_type, output, budget_spent`` and, when the
        model records them, ``private_cost`` (attempt costs paid by firms, net of
        grants), ``employment``, ``established``.
    params : WelfareParameters, optional

    Returns
    -------
    DataFrame
        One row per (seed, region): ``region_type``, ``output_gain_pv`` and
        ``spent_pv`` (at the first discount rate), ``private_cost_pv``,
        ``net_benefit_<r>pct`` for each rate, ``mvpf``, ``mvpf_numerator`` and
        ``mvpf_denominator`` (so that means of totals can be formed),
        ``established_gain`` (additional established new specialisations),
        ``output_gain_final`` and ``employment_gain_final`` (last year's differences).

    Examples
    --------
    >>> base = pd.DataFrame({"seed": 0, "step": [0, 1], "region": 0, "region_type": "x",
    ...                      "output": [10.0, 10.0], "budget_spent": [0.0, 0.0]})
    >>> pol = base.assign(output=[10.0, 12.0], budget_spent=[0.0, 1.0])
    >>> w = paired_welfare(pol, base, WelfareParameters((0.0,), mcpf=0.0, tax_rate=0.0))
    >>> float(w["net_benefit_0pct"].iloc[0]), float(w["mvpf"].iloc[0])
    (1.0, 2.0)
    """
    params = params or WelfareParameters()
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
    spent = p["budget_spent"].to_numpy() - b["budget_spent"].to_numpy()
    d_output_net = (1.0 - params.input_cost_share) * d_output
    step = p["step"].to_numpy()
    frame = p[["seed", "region", "region_type"]].copy()
    out = frame.groupby(_KEYS, sort=True).first()
    for i, rate in enumerate(params.discount_rates):
        disc = (1.0 + rate) ** -step.astype(float)
        parts = pd.DataFrame({
            "seed": frame["seed"].to_numpy(), "region": frame["region"].to_numpy(),
            "gain": disc * d_output, "net_gain": disc * d_output_net,
            "private": disc * d_private, "spent": disc * spent,
        }).groupby(_KEYS, sort=True).sum()
        net = parts["net_gain"] - parts["private"] - (1.0 + params.mcpf) * parts["spent"]
        out[f"net_benefit_{_rate_label(rate)}"] = net
        if i == 0:
            out["output_gain_pv"] = parts["gain"]
            out["private_cost_pv"] = parts["private"]
            out["spent_pv"] = parts["spent"]
            numerator = parts["net_gain"] - parts["private"]
            denominator = parts["spent"] - params.tax_rate * parts["gain"]
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
