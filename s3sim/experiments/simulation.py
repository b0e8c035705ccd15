"""Running the model for several seeds and keeping the results: ``run_simulation``.

A :class:`SimulationResult` holds the tidy tables of one configuration run over one
or more seeds (see :mod:`s3sim.recorder` for their columns), and writes them as
Parquet files, atomically, with the product space used and a ``metadata.json``
recording the configuration, seeds and package versions::

    result = run_simulation(ModelConfig(), PolicyConfig("smart_specialisation", budget=5),
                            seeds=range(10))
    result.write("results/my_run")
    same = SimulationResult.read("results/my_run")
"""

from __future__ import annotations

import dataclasses
import json
import numbers
import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from s3sim.config import ConfigError, ModelConfig, PolicyConfig, validate_parameters
from s3sim.io import atomic_output_dir
from s3sim.model import S3Model
from s3sim.space.product_space import ProductSpace

__all__ = ["TABLES", "SimulationResult", "package_versions", "run_simulation"]

TABLES: tuple[str, ...] = ("regions", "presence", "entries", "priorities")
PRODUCT_SPACE_FILE = "product_space.parquet"
METADATA_FILE = "metadata.json"


def package_versions() -> dict[str, str]:
    """Versions of Python and of the packages that determine the results."""
    out = {"python": platform.python_version()}
    for name in ("s3sim", "mesa", "numpy", "scipy", "pandas", "networkx", "pyarrow",
                 "atlas-common-data"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass
class SimulationResult:
    """Tidy tables of one configuration over one or more seeds.

    Attributes
    ----------
    regions, presence, entries, priorities : pandas.DataFrame
        See :mod:`s3sim.recorder` for the columns.
    product_space : ProductSpace
        The product space the runs used.
    metadata : dict
        ``model`` and ``policy`` configurations, ``seeds``, ``versions``.
    """

    regions: pd.DataFrame
    presence: pd.DataFrame
    entries: pd.DataFrame
    priorities: pd.DataFrame
    product_space: ProductSpace
    metadata: dict[str, Any] = field(default_factory=dict)

    def write(self, out_dir: str | Path) -> Path:
        """Write every table, the product space and ``metadata.json`` into ``out_dir``.

        The directory is built in a temporary sibling and renamed into place, so an
        interrupted write never leaves a half-written directory.
        """
        with atomic_output_dir(out_dir) as tmp:
            for name in TABLES:
                getattr(self, name).to_parquet(tmp / f"{name}.parquet", index=False)
            self.product_space.save(tmp / PRODUCT_SPACE_FILE)
            (tmp / METADATA_FILE).write_text(json.dumps(self.metadata, indent=2, default=str))
        return Path(out_dir)

    @classmethod
    def read(cls, out_dir: str | Path) -> SimulationResult:
        """Read a result written by :meth:`write`."""
        path = Path(out_dir)
        missing = [f"{n}.parquet" for n in TABLES if not (path / f"{n}.parquet").exists()]
        if not path.is_dir() or missing or not (path / METADATA_FILE).exists():
            raise FileNotFoundError(
                f"{path} is not a complete s3sim result directory "
                f"(missing: {', '.join(missing) or METADATA_FILE})"
            )
        tables = {n: pd.read_parquet(path / f"{n}.parquet") for n in TABLES}
        return cls(
            **tables,
            product_space=ProductSpace.load(path / PRODUCT_SPACE_FILE),
            metadata=json.loads((path / METADATA_FILE).read_text()),
        )


def _check_seeds(seeds: Iterable[int] | int) -> list[int]:
    """Seeds as distinct non-negative Python ints (numpy integers accepted)."""
    if isinstance(seeds, numbers.Integral) and not isinstance(seeds, bool):
        seeds = [seeds]  # a single seed
    if isinstance(seeds, str | bytes) or not isinstance(seeds, Iterable):
        raise ConfigError(f"seeds must be a list of non-negative integers, got {seeds!r}")
    out = []
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, numbers.Integral) or s < 0:
            raise ConfigError(f"seeds must be non-negative integers, got {s!r}")
        if s >= 2**63:
            raise ConfigError(f"seeds must be < 2**63, got {s}")
        out.append(int(s))
    if not out:
        raise ConfigError("seeds is empty: give at least one seed, e.g. seeds=[0]")
    if len(set(out)) != len(out):
        raise ConfigError(f"seeds must be distinct, got {out}")
    return out


def _check_finite(tables: dict[str, pd.DataFrame]) -> None:
    """Refuse results with infinite values: the parameters overflowed float64.

    NaN is legitimate in some columns (e.g. ECI of a region without products), but an
    infinity is never a model outcome; returning it would be a silently wrong answer.
    """
    for name, df in tables.items():
        num = df.select_dtypes(include="number")
        if num.empty:
            continue
        bad = np.isinf(num.to_numpy(dtype=np.float64, na_value=np.nan))
        if bad.any():
            cols = sorted({str(c) for c in num.columns[bad.any(axis=0)]})
            raise ConfigError(
                f"the simulation overflowed: infinite values in the {name} table "
                f"(column(s) {', '.join(cols)}); the parameters are outside the range where "
                "the model is numerically meaningful -- reduce growth rates, sizes or steps"
            )


def run_simulation(
    config: ModelConfig | Mapping[str, Any] | None = None,
    policy: PolicyConfig | Mapping[str, Any] | str | None = None,
    seeds: Iterable[int] | int = (0,),
    *,
    product_space: ProductSpace | None = None,
    progress: bool = False,
) -> SimulationResult:
    """Run one configuration for each seed and collect the tidy tables.

    Parameters
    ----------
    config : ModelConfig or mapping, optional
        The regional economy (default scenario if omitted); a mapping of parameter
        values is validated as :class:`~s3sim.config.ModelConfig`.
    policy : PolicyConfig, str or mapping, optional
        The policy instrument (the ``none`` baseline if omitted); a string is a policy
        name such as ``"smart_specialisation"`` (with that policy's defaults).
    seeds : iterable of int, or int
        One run per seed (Python or numpy integers); results are identical for
        identical (config, policy, seed).
    product_space : ProductSpace, optional
        Overrides the product space named by ``config``.
    progress : bool
        Show a progress bar over seeds.

    Returns
    -------
    SimulationResult

    Raises
    ------
    ConfigError
        Before any seed runs, for an invalid configuration, policy or seed list
        (validated by :func:`s3sim.config.validate_parameters`); after the runs, if
        the results overflowed to infinity.
    """
    config, policy = validate_parameters(config, policy)
    seed_list = _check_seeds(seeds)
    if product_space is not None and not isinstance(product_space, ProductSpace):
        raise ConfigError(f"product_space must be a ProductSpace, got "
                          f"{type(product_space).__name__}")
    frames: dict[str, list[pd.DataFrame]] = {name: [] for name in TABLES}
    iterator: Iterable[int] = seed_list
    if progress:
        from tqdm.auto import tqdm

        iterator = tqdm(seed_list, desc=f"{policy.name}", unit="seed")
    model = None
    for seed in iterator:
        model = S3Model(config, policy, product_space=product_space, rng=seed)
        model.run()
        rec = model.recorder
        frames["regions"].append(rec.regions_frame())
        frames["presence"].append(rec.presence_frame())
        frames["entries"].append(rec.entries_frame())
        frames["priorities"].append(rec.priorities_frame())
    assert model is not None
    tables = {name: pd.concat(dfs, ignore_index=True) for name, dfs in frames.items()}
    _check_finite(tables)
    metadata = {
        "model": dataclasses.asdict(config),
        "policy": dataclasses.asdict(policy),
        "seeds": seed_list,
        "versions": package_versions(),
        "product_space": {"source": model.product_space.source,
                          "n_products": model.product_space.n_products,
                          **model.product_space.metadata},
    }
    return SimulationResult(**tables, product_space=model.product_space, metadata=metadata)
