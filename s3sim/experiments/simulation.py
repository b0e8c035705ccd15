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
import platform
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from s3sim.config import ConfigError, ModelConfig, PolicyConfig
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


def _check_seeds(seeds: Iterable[int]) -> list[int]:
    out = []
    for s in seeds:
        if isinstance(s, bool) or not isinstance(s, int) or s < 0:
            raise ConfigError(f"seeds must be non-negative integers, got {s!r}")
        out.append(int(s))
    if not out:
        raise ConfigError("seeds is empty: give at least one seed, e.g. seeds=[0]")
    if len(set(out)) != len(out):
        raise ConfigError(f"seeds must be distinct, got {out}")
    return out


def run_simulation(
    config: ModelConfig | None = None,
    policy: PolicyConfig | None = None,
    seeds: Iterable[int] = (0,),
    *,
    product_space: ProductSpace | None = None,
    progress: bool = False,
) -> SimulationResult:
    """Run one configuration for each seed and collect the tidy tables.

    Parameters
    ----------
    config : ModelConfig, optional
        The regional economy (default scenario if omitted).
    policy : PolicyConfig, optional
        The policy instrument (the ``none`` baseline if omitted).
    seeds : iterable of int
        One run per seed; results are identical for identical (config, policy, seed).
    product_space : ProductSpace, optional
        Overrides the product space named by ``config``.
    progress : bool
        Show a progress bar over seeds.

    Returns
    -------
    SimulationResult
    """
    config = config if config is not None else ModelConfig()
    policy = policy if policy is not None else PolicyConfig()
    seed_list = _check_seeds(seeds)
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
