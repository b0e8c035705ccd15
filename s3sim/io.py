"""Loading and validating long-format trade data; atomic file and directory output.

Long format means one row per (location, product, year) with a non-negative
value (exports, employment, patent counts...). :func:`load_trade_table` reads
CSV or Parquet, checks everything the complexity metrics need and raises
:class:`DataError` with one line saying what is wrong and how to fix it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd

__all__ = [
    "CANONICAL_COLUMNS",
    "DataError",
    "atomic_output_dir",
    "atomic_write",
    "load_trade_table",
    "to_matrix",
]

CANONICAL_COLUMNS: tuple[str, str, str, str] = ("location", "product", "year", "value")
_PARQUET_SUFFIXES = {".parquet", ".pq", ".parq"}


class DataError(ValueError):
    """Input data cannot be used; the message is one line with the fix."""


def _read_raw(path: Path) -> pd.DataFrame:
    """Read CSV/TSV or Parquet with every column as text (keeps leading zeros)."""
    if not path.exists():
        raise DataError(f"cannot read '{path}': file not found")
    if path.is_dir():
        raise DataError(f"cannot read '{path}': it is a directory, expected a CSV or Parquet file")
    suffixes = [s.lower() for s in path.suffixes]
    kind = "Parquet" if suffixes[-1:] and suffixes[-1] in _PARQUET_SUFFIXES else "CSV"
    try:
        if kind == "Parquet":
            return pd.read_parquet(path).astype(object)
        sep = "\t" if ".tsv" in suffixes or ".tab" in suffixes else ","
        # keep_default_na=False: "NA" (Namibia) or "NaN" stay labels; values are checked below
        return pd.read_csv(path, dtype=str, sep=sep, skipinitialspace=True,
                           keep_default_na=False)
    except pd.errors.EmptyDataError:
        raise DataError(f"'{path}' is empty: expected a header row and data rows") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise DataError(
            f"cannot read '{path}' as {kind}: {first}; is it a valid CSV or Parquet file?"
        ) from None


def _check_columns(df: pd.DataFrame, wanted: dict[str, str], path: Path) -> None:
    """Raise if a required column is absent, naming the option that fixes it."""
    present = [str(c) for c in df.columns]
    missing = [(role, col) for role, col in wanted.items() if col not in df.columns]
    if not missing:
        return
    what = ", ".join(f"{role} column '{col}'" for role, col in missing)
    options = " ".join(f"--{role}-col NAME" for role, _ in missing)
    raise DataError(
        f"'{path}' has no {what}; columns present: {', '.join(repr(c) for c in present)}; "
        f"pass the right name(s) with {options}"
    )


def _example(df: pd.DataFrame, mask: pd.Series) -> str:
    """Describe the first offending row (1-based data row number) in one line."""
    i = int(np.flatnonzero(mask.to_numpy())[0])
    row = df.iloc[i]
    cells = ", ".join(
        f"{k}={'(empty)' if pd.isna(row[k]) else str(row[k]).strip()}" for k in CANONICAL_COLUMNS
    )
    return f"e.g. row {i + 1} after the header: {cells}"


def _parse_values(df: pd.DataFrame, path: Path, col: str) -> pd.Series:
    """Turn the value column into float64, rejecting NaN, text, infinities and negatives."""
    raw = df["value"]
    text = raw.astype(str).str.strip()
    missing = raw.isna() | text.str.lower().isin(["", "nan", "na", "n/a", "null", "none"])
    if missing.any():
        raise DataError(
            f"'{path}': {int(missing.sum())} missing/NaN value(s) in column '{col}' "
            f"({_example(df, missing)}); fill them (0 if nothing was exported) or drop the rows"
        )
    values = pd.to_numeric(text, errors="coerce")
    bad = values.isna() | ~np.isfinite(values.to_numpy(dtype=float, na_value=np.nan))
    if bad.any():
        raise DataError(
            f"'{path}': {int(bad.sum())} non-numeric value(s) in column '{col}' "
            f"({_example(df, bad)}); values must be plain numbers"
        )
    negative = values < 0
    if negative.any():
        raise DataError(
            f"'{path}': {int(negative.sum())} negative value(s) in column '{col}' "
            f"({_example(df, negative)}); values must be >= 0 (exports, employment, counts)"
        )
    return values.astype(np.float64)


def _parse_labels(df: pd.DataFrame, path: Path, names: dict[str, str]) -> None:
    """Strip labels and reject empty location/product/year cells (in place)."""
    for role in ("location", "product", "year"):
        series = df[role].astype(str).str.strip()
        empty = df[role].isna() | (series == "")
        if empty.any():
            raise DataError(
                f"'{path}': {int(empty.sum())} empty cell(s) in column '{names[role]}' "
                f"({_example(df, empty)}); every row needs a {role}"
            )
        df[role] = series


def _parse_years(df: pd.DataFrame, path: Path, col: str) -> pd.Series:
    """Years as int64 (or float if fractional), rejecting non-numeric cells."""
    years = pd.to_numeric(df["year"], errors="coerce")
    bad = years.isna()
    if bad.any():
        raise DataError(
            f"'{path}': {int(bad.sum())} non-numeric year(s) in column '{col}' "
            f"({_example(df, bad)}); years must be numbers such as 2019"
        )
    if np.all(np.mod(years.to_numpy(dtype=float), 1) == 0):
        return years.astype(np.int64)
    return years.astype(np.float64)


def _check_duplicates(df: pd.DataFrame, path: Path) -> None:
    """Reject repeated (location, product, year) keys."""
    dup = df.duplicated(["location", "product", "year"], keep=False)
    if dup.any():
        n_keys = int(df[dup].drop_duplicates(["location", "product", "year"]).shape[0])
        raise DataError(
            f"'{path}': {int(dup.sum())} rows share {n_keys} (location, product, year) key(s) "
            f"({_example(df, dup)}); aggregate them first (e.g. sum) so each key appears once"
        )


def _check_locations(df: pd.DataFrame, path: Path, col: str) -> None:
    """Complexity is relative: at least two locations are needed."""
    locations = df["location"].unique()
    if len(locations) < 2:
        raise DataError(
            f"'{path}': only one location ({locations[0]!r} in column '{col}'); complexity "
            "metrics compare locations, so at least 2 are needed (or is --location-col wrong?)"
        )


def load_trade_table(
    path: str | os.PathLike[str],
    *,
    location_col: str = "location",
    product_col: str = "product",
    year_col: str = "year",
    value_col: str = "value",
) -> pd.DataFrame:
    """Read and validate a long-format (location, product, year, value) table.

    Parameters
    ----------
    path : str or os.PathLike
        CSV (``.csv``, ``.tsv``, optionally compressed) or Parquet
        (``.parquet``/``.pq``) file.
    location_col, product_col, year_col, value_col : str
        Names of the four columns in the file. Other columns are ignored.

    Returns
    -------
    pandas.DataFrame
        Columns ``location`` (str), ``product`` (str, leading zeros kept, e.g.
        ``"0101"``), ``year`` (int64, or float64 if fractional) and ``value``
        (float64 >= 0), in file order.

    Raises
    ------
    DataError
        One line saying what is wrong and how to fix it: missing, unreadable or
        empty file; missing columns (lists the columns present and the option
        to pass); NaN, non-numeric or negative values and empty labels (count
        and an example row); duplicate (location, product, year) rows; only
        one location.
    """
    p = Path(path)
    raw = _read_raw(p)
    names = {"location": location_col, "product": product_col, "year": year_col,
             "value": value_col}
    _check_columns(raw, names, p)
    if raw.empty:
        raise DataError(f"'{p}' has a header but no data rows")
    df = raw[[location_col, product_col, year_col, value_col]].copy()
    df.columns = list(CANONICAL_COLUMNS)
    df = df.reset_index(drop=True)
    _parse_labels(df, p, names)
    df["value"] = _parse_values(df, p, value_col)
    df["year"] = _parse_years(df, p, year_col)
    _check_duplicates(df, p)
    _check_locations(df, p, location_col)
    return df


def to_matrix(df: pd.DataFrame, year: object) -> tuple[np.ndarray, list[str], list[str]]:
    """Pivot one year of a validated long table into a locations x products matrix.

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`load_trade_table` (canonical column names).
    year : object
        The year to extract (compared with ``df["year"]``).

    Returns
    -------
    X : numpy.ndarray, shape (n_locations, n_products)
        Values; location-product pairs absent from the table are 0.
    locations, products : list of str
        Sorted row and column labels (only those appearing in that year).

    Raises
    ------
    DataError
        If the year has no rows.
    """
    sub = df[df["year"] == year]
    if sub.empty:
        years = ", ".join(str(y) for y in sorted(df["year"].unique()))
        raise DataError(f"year {year} is not in the data; available years: {years}")
    loc_codes, locations = pd.factorize(sub["location"], sort=True)
    prod_codes, products = pd.factorize(sub["product"], sort=True)
    X = np.zeros((len(locations), len(products)), dtype=np.float64)
    np.add.at(X, (loc_codes, prod_codes), sub["value"].to_numpy(dtype=np.float64))
    return X, [str(x) for x in locations], [str(x) for x in products]


def _missing_parents(path: Path) -> list[Path]:
    """Ancestors of ``path`` that do not exist yet, outermost first."""
    out = []
    for parent in path.parents:
        if parent.exists():
            break
        out.append(parent)
    return out[::-1]


@contextlib.contextmanager
def atomic_output_dir(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Build a directory in a temporary sibling and move it into place on success.

    Parameters
    ----------
    path : str or os.PathLike
        Final directory. Missing parent directories are created (and removed
        again on failure). An existing directory at ``path`` is replaced as a
        whole once the new one is complete.

    Yields
    ------
    pathlib.Path
        Temporary directory to write into (same file system as ``path``).

    Notes
    -----
    On an exception the temporary directory is deleted and ``path`` is left as
    it was (absent, or the previous version), then the exception propagates.
    """
    final = Path(path).absolute()
    if final.exists() and not final.is_dir():
        raise NotADirectoryError(f"output path '{final}' exists and is not a directory")
    created = _missing_parents(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.tmp-", dir=final.parent))
    try:
        yield tmp
        _swap_into_place(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        for parent in reversed(created):
            with contextlib.suppress(OSError):
                parent.rmdir()
        raise


def _swap_into_place(tmp: Path, final: Path) -> None:
    """Rename ``tmp`` to ``final``, replacing an existing directory."""
    tmp.chmod(0o777 & ~_umask())
    if not final.exists():
        os.replace(tmp, final)
        return
    backup = Path(tempfile.mkdtemp(prefix=f".{final.name}.old-", dir=final.parent))
    backup.rmdir()
    os.replace(final, backup)
    try:
        os.replace(tmp, final)
    except OSError:
        os.replace(backup, final)
        raise
    shutil.rmtree(backup, ignore_errors=True)


def _umask() -> int:
    """Return the current process umask (from /proc on Linux, no global change)."""
    with contextlib.suppress(OSError, ValueError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("Umask:"):
                return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Write a single file atomically.

    Yields a temporary path in the same directory (same suffix, so writers
    that infer the format from the extension work); write the file there. On
    success it is moved onto ``path`` with :func:`os.replace`; on an exception
    it is deleted and ``path`` is untouched.

    Parameters
    ----------
    path : str or os.PathLike
        Final file path; its directory must exist.

    Yields
    ------
    pathlib.Path
        Temporary file path to write to.

    Examples
    --------
    >>> with atomic_write("table.csv") as tmp:  # doctest: +SKIP
    ...     df.to_csv(tmp, index=False)
    """
    final = Path(path)
    fd, name = tempfile.mkstemp(
        prefix=f".{final.stem}.tmp-", suffix=final.suffix, dir=final.parent or "."
    )
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        tmp.chmod(0o666 & ~_umask())
        os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
