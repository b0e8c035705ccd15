"""The bundled example data set works for an advisor's first steps."""

from __future__ import annotations

from importlib.resources import files

import numpy as np

from s3sim.config import ModelConfig
from s3sim.io import load_trade_table
from s3sim.model import S3Model
from s3sim.space.product_space import ProductSpace

EXAMPLE = files("s3sim") / "data" / "example_regions.csv"


def test_example_is_a_valid_long_table_of_atlas_products() -> None:
    df = load_trade_table(EXAMPLE)
    assert sorted(df["year"].unique()) == [2021, 2022, 2023]
    assert df["location"].nunique() == 20
    atlas = set(ProductSpace.atlas().codes)
    assert set(df["product"]) <= atlas
    assert (df["value"] > 0).all()


def test_a_simulation_starts_from_the_example() -> None:
    config = ModelConfig(initial_data=str(EXAMPLE), product_space="from_data", n_firms=2000,
                         steps=3)
    model = S3Model(config, rng=0)
    assert model.n_regions == 20
    assert model.product_space.source == "atlas"
    assert set(model.region_types) == {"leading", "intermediate", "lagging"}
    model.run()
    history = model.history_frame()
    assert history["step"].max() == 3
    assert np.isfinite(history["diversity"]).all()
