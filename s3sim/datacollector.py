"""A Mesa-compatible ``datacollector`` view on what :class:`~s3sim.recorder.Recorder` keeps.

Mesa users reach for ``model.datacollector.get_model_vars_dataframe()``. s3sim records
compact arrays every year anyway (:mod:`s3sim.recorder`), so instead of a second,
per-agent :class:`mesa.DataCollector` (which would call Python code for every firm each
year) the model exposes this read-only view with the same three methods:

``get_model_vars_dataframe()``
    one row per step (index ``step``): totals and means over the regions —
    ``output``, ``employment``, ``n_firms``, ``entries``, ``established``,
    ``budget_spent``, ``private_cost`` (sums) and ``diversity``, ``mean_pci``, ``eci``
    (means).
``get_agent_vars_dataframe()``
    one row per (step, region) — the regions are the agents whose history is recorded
    (firms come and go by the thousand; their state is in ``model.firms``).
``get_table_dataframe(name)``
    ``"regions"``, ``"presence"``, ``"entries"`` or ``"priorities"``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from s3sim.recorder import Recorder

__all__ = ["RecorderDataCollector"]

_SUMS = ("output", "employment", "n_firms", "entries", "exits", "firm_entries", "established",
         "budget_spent", "private_cost")
_MEANS = ("diversity", "mean_pci", "eci")


class RecorderDataCollector:
    """The ``DataCollector`` interface over a :class:`~s3sim.recorder.Recorder`."""

    def __init__(self, recorder: Recorder) -> None:
        self._recorder = recorder

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """Model-level variables per step (sums and means over regions)."""
        regions = self._recorder.regions_frame()
        sums = regions.groupby("step")[[c for c in _SUMS if c in regions]].sum()
        means = regions.groupby("step")[[c for c in _MEANS if c in regions]].mean()
        return sums.join(means)

    def get_agent_vars_dataframe(self) -> pd.DataFrame:
        """Region-level variables per (step, region)."""
        return self._recorder.regions_frame().set_index(["step", "region"])

    def get_table_dataframe(self, table_name: str) -> pd.DataFrame:
        """One of the recorded tables by name."""
        tables = {"regions": self._recorder.regions_frame,
                  "presence": self._recorder.presence_frame,
                  "entries": self._recorder.entries_frame,
                  "priorities": self._recorder.priorities_frame}
        if table_name not in tables:
            raise KeyError(f"no table {table_name!r}; tables: {', '.join(tables)}")
        return tables[table_name]()
