"""Emergent stylised facts of regional diversification, checked on simulated output.

Nothing here restates a parameter: each fact is measured on the tables a run writes
(presence, entries, regions), with relatedness density recomputed from the presence
table and the product space's proximity (``s3sim.space.metrics.density``), across seeds.

* Principle of relatedness (Hidalgo et al. 2007, 2018): among (region, product) pairs
  without RCA at step t, the share that has RCA at t + 1 rises across quintiles of
  relatedness density, steeply.
* Diversification dilemma (Balland, Boschma, Crespo & Rigby 2019): in a regression of
  entry (gaining RCA) on standardised density and PCI, density is positive and PCI
  negative.
* Lagging regions diversify less, and into less complex products, than leading ones.

The fast variant runs the default Atlas scenario for 20 years on three seeds; the
slow one the full 50 years on five seeds.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from s3sim.config import ModelConfig
from s3sim.model import S3Model
from s3sim.space.metrics import density

FAST = (ModelConfig(steps=20), (1, 2, 3))
FULL = (ModelConfig(), (11, 12, 13, 14, 15))


class Panel:
    """Transitions of (region, product) pairs without RCA from step t to t + 1."""

    def __init__(self, model: S3Model) -> None:
        self.model = model
        pres = model.recorder.presence_frame()
        n_t, n_r, n_p = model.steps + 1, model.n_regions, model.n_products
        m = np.zeros((n_t, n_r, n_p), dtype=bool)
        m[pres["step"], pres["region"], pres["product"]] = True
        prox = model.product_space.proximity
        d = np.stack([density(m[t], prox) for t in range(n_t - 1)])
        absent = ~m[:-1]
        self.density = d[absent]
        self.pci = np.broadcast_to(np.asarray(model.product_space.pci), absent.shape)[absent]
        self.gain = (m[1:] & absent)[absent].astype(float)

    def quintile_rates(self) -> np.ndarray:
        q = pd.qcut(self.density, 5, labels=False)
        return np.array([self.gain[q == k].mean() for k in range(5)])

    def design(self) -> np.ndarray:
        z = lambda x: (x - x.mean()) / x.std()  # noqa: E731
        return np.column_stack([np.ones_like(self.density), z(self.density), z(self.pci)])

    def lpm(self) -> np.ndarray:
        """Linear probability model: (intercept, density, PCI)."""
        return np.linalg.lstsq(self.design(), self.gain, rcond=None)[0]

    def logit(self) -> np.ndarray:
        """Logit by maximum likelihood (Newton's method, scipy): (intercept, density, PCI)."""
        x, y = self.design(), self.gain

        def prob(b: np.ndarray) -> np.ndarray:
            return 0.5 * (1.0 + np.tanh(0.5 * (x @ b)))

        def nll(b: np.ndarray) -> float:
            s = x @ b
            return float(np.logaddexp(0.0, s).sum() - y @ s)

        def grad(b: np.ndarray) -> np.ndarray:
            return x.T @ (prob(b) - y)

        def hess(b: np.ndarray) -> np.ndarray:
            p = prob(b)
            return (x * (p * (1 - p))[:, None]).T @ x

        res = minimize(nll, np.zeros(3), jac=grad, hess=hess, method="trust-exact")
        assert np.abs(grad(res.x)).max() < 1e-4 * len(y), res.message
        return res.x


def _panels(spec: tuple[ModelConfig, tuple[int, ...]]) -> list[Panel]:
    config, seeds = spec
    return [Panel(S3Model(config, rng=s).run()) for s in seeds]


@pytest.fixture(scope="module", params=[
    pytest.param(FAST, id="atlas-20y"),
    pytest.param(FULL, id="atlas-50y", marks=pytest.mark.slow),
])
def panels(request: pytest.FixtureRequest) -> list[Panel]:
    return _panels(request.param)


# ------------------------------------------------------------ principle of relatedness
def test_principle_of_relatedness(panels: list[Panel]) -> None:
    for p in panels:
        rates = p.quintile_rates()
        assert p.gain.sum() > 100, "too few entries for the check to mean anything"
        assert np.all(np.diff(rates) > 0), f"seed {p.model.seed}: {rates}"
        assert rates[-1] >= 3 * rates[0], f"seed {p.model.seed}: {rates}"


# ---------------------------------------------------------- diversification dilemma
def test_entry_rises_with_relatedness_density(panels: list[Panel]) -> None:
    for p in panels:
        assert p.lpm()[1] > 0, p.model.seed
        assert p.logit()[1] > 0, p.model.seed


def test_entry_falls_with_complexity(panels: list[Panel]) -> None:
    """The dilemma: controlling for density, complex products are entered less often."""
    for p in panels:
        assert p.lpm()[2] < 0, (p.model.seed, p.lpm())
        assert p.logit()[2] < 0, (p.model.seed, p.logit())


# ------------------------------------------------------------- lagging vs leading
def _by_type(model: S3Model) -> tuple[pd.Series, pd.Series]:
    reg = model.history_frame()
    reg = reg[reg["step"] > 0]
    entries_per_year = reg.groupby("region_type")["entries"].mean()
    ent = model.recorder.entries_frame()
    spec = ent[ent["event"] == "specialisation"]
    pci_of_entries = spec.groupby("region_type")["pci"].mean()
    return entries_per_year, pci_of_entries


def test_lagging_regions_diversify_less_and_into_simpler_products(panels: list[Panel]) -> None:
    for p in panels:
        per_year, pci = _by_type(p.model)
        seed = p.model.seed
        assert per_year["lagging"] < per_year["intermediate"] < per_year["leading"], (
            seed, per_year.to_dict())
        assert pci["lagging"] < pci["intermediate"] < pci["leading"], (seed, pci.to_dict())


def test_lagging_regions_start_on_the_periphery(panels: list[Panel]) -> None:
    """Initial state: lagging regions have fewer, simpler, less related products."""
    for p in panels:
        reg = p.model.history_frame()
        start = reg[reg["step"] == 0].groupby("region_type")[["diversity", "mean_pci"]].mean()
        assert start.loc["lagging", "diversity"] < start.loc["leading", "diversity"]
        assert start.loc["lagging", "mean_pci"] < start.loc["leading", "mean_pci"]
