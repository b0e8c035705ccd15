"""External check against the Growth Lab's Stata ``ecomplexity`` on real trade data.

Fixture: ``tests/data/ecomplexity_stata_1995*.csv``, a column subset of
``tests/fixtures/stata_single_year_1995.csv`` in the public repository
https://github.com/cid-harvard/py-ecomplexity (commit 554cc5dc0d9fe5b72adee54b5cd64fb4953d0a20),
generated there with ``ecomplexity export_val, i(origin) p(hs92) t(year)`` in Stata:
real exports of 10 European countries x 30 HS92 products in 1995 (values as published,
Stata outputs copied digit for digit). Licence: MIT, "Copyright (c) 2018 Center for
International Development at Harvard University" -- permission is granted to copy and
redistribute with this notice. Kept columns: origin, hs92, export_val, M, density (cells),
eci, coi, diversity (locations), pci, ubiquity (products).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from s3sim.space import metrics

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def stata():
    cells = pd.read_csv(DATA / "ecomplexity_stata_1995.csv", dtype={"hs92": str})
    X = cells.pivot(index="origin", columns="hs92", values="export_val")
    locs = pd.read_csv(DATA / "ecomplexity_stata_1995_locations.csv").set_index("origin")
    prods = pd.read_csv(DATA / "ecomplexity_stata_1995_products.csv",
                        dtype={"hs92": str}).set_index("hs92")
    return {"X": X.to_numpy(), "M": cells.pivot(index="origin", columns="hs92",
                                                  values="M").to_numpy(),
            "density": cells.pivot(index="origin", columns="hs92",
                                   values="density").to_numpy(),
            "loc": locs.loc[X.index], "prod": prods.loc[X.columns], "n_rows": len(cells)}


def test_stata_convention_reproduces_the_stata_package(stata):
    res = metrics.complexity(stata["X"], density_convention="stata")
    np.testing.assert_array_equal(res.mcp, stata["M"])
    np.testing.assert_array_equal(res.diversity, stata["loc"]["diversity"])
    np.testing.assert_array_equal(res.ubiquity, stata["prod"]["ubiquity"])
    np.testing.assert_allclose(res.density, stata["density"], atol=1e-12)
    # Stata standardises ECI (and PCI, COI) with the sample SD over its N = 300
    # location x product rows instead of the population SD over the 10 locations
    factor = np.sqrt((stata["n_rows"] - 1) / stata["n_rows"])
    np.testing.assert_allclose(res.eci * factor, stata["loc"]["eci"], rtol=1e-9)
    np.testing.assert_allclose(res.pci * factor, stata["prod"]["pci"], rtol=1e-9)
    np.testing.assert_allclose(res.coi * factor, stata["loc"]["coi"], rtol=1e-9)


def test_python_convention_differs_from_stata_as_documented(stata):
    """The default (the Python package's convention) keeps phi_pp in the density sums."""
    py = metrics.complexity(stata["X"])
    diff = py.density - stata["density"]
    assert np.abs(diff).max() == pytest.approx(0.0731, abs=5e-4)  # docs/metrics.md
    has = stata["M"] == 1
    assert (diff[has] > 0).all() and (diff[~has] < 0).all()
    eci_ratio = py.eci / stata["loc"]["eci"].to_numpy()
    np.testing.assert_allclose(eci_ratio, np.sqrt(300 / 299), rtol=1e-9)
    # diversity, ubiquity, M and PCI order are convention-free
    assert np.array_equal(np.argsort(py.pci), np.argsort(stata["prod"]["pci"].to_numpy()))


def test_density_convention_is_validated():
    with pytest.raises(ValueError, match="density convention"):
        metrics.density(np.eye(2), np.eye(2), convention="r")
