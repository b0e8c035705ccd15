"""Loading and validating long-format trade data; atomic file and directory output.

Long format means one row per (location, product, year) with a non-negative
value (exports, employment, patent counts...). :func:`load_trade_table` reads
CSV or Parquet, checks everything the complexity metrics need and raises
:class:`DataError` with one line saying what is wrong and how to fix it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "CANONICAL_COLUMNS",
    "OWNER_MARKER",
    "DataError",
    "OutputError",
    "atomic_output_dir",
    "atomic_write",
    "check_replaceable",
    "describe_os_error",
    "digest_tree",
    "file_digest",
    "foreign_entries",
    "load_trade_table",
    "normalise_product_codes",
    "read_owner_marker",
    "to_matrix",
    "write_owner_marker",
]

CANONICAL_COLUMNS: tuple[str, str, str, str] = ("location", "product", "year", "value")
_PARQUET_SUFFIXES = {".parquet", ".pq", ".parq"}


class DataError(ValueError):
    """Input data cannot be used; the message is one line with the fix."""


class OutputError(DataError):
    """An output location cannot be used (not ours to replace, or an OS error)."""


_MISSING_TEXT = ["", "nan", "na", "n/a", "null", "none"]


def _suffix_kind(path: Path) -> tuple[str, str]:
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes[-1:] and suffixes[-1] in _PARQUET_SUFFIXES:
        return "Parquet", ""
    return "CSV", "\t" if ".tsv" in suffixes or ".tab" in suffixes else ","


def _read_table(path: Path, wanted: dict[str, str]) -> Any:
    """Read only the wanted columns as a :class:`pyarrow.Table` (labels as text in CSV).

    No conversion to Python objects: the columns stay Arrow arrays until they are
    dictionary-encoded (labels) or cast to float64 (values), so the peak memory is a
    small multiple of the table's final size (see docs/reliability.md).
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    if not path.exists():
        raise DataError(f"cannot read '{path}': file not found")
    if path.is_dir():
        raise DataError(f"cannot read '{path}': it is a directory, expected a CSV or Parquet file")
    kind, sep = _suffix_kind(path)
    try:
        if kind == "Parquet":
            present = list(pq.read_schema(path).names)
            _check_columns(present, wanted, path)
            return pq.read_table(path, columns=list(dict.fromkeys(wanted.values())))
        parse = pacsv.ParseOptions(delimiter=sep)
        with pacsv.open_csv(path, parse_options=parse) as reader:
            present = list(reader.schema.names)
        _check_columns(present, wanted, path)
        cols = list(dict.fromkeys(wanted.values()))
        convert = pacsv.ConvertOptions(
            include_columns=cols, column_types={c: pa.string() for c in cols},
            strings_can_be_null=False, quoted_strings_can_be_null=False, null_values=[])
        return pacsv.read_csv(path, parse_options=parse, convert_options=convert,
                              read_options=pacsv.ReadOptions(block_size=1 << 24))
    except DataError:
        raise
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, UnicodeDecodeError,
            ValueError) as exc:
        text = str(exc).strip()
        if "Empty CSV file" in text:
            raise DataError(f"'{path}' is empty: expected a header row and data rows") from None
        if isinstance(exc, OSError) and exc.strerror:
            raise DataError(f"cannot read '{path}': {exc.strerror}") from None
        first = text.splitlines()[0] if text else type(exc).__name__
        raise DataError(
            f"cannot read '{path}' as {kind}: {first}; is it a valid CSV or Parquet file?"
        ) from None


def _check_columns(present: list[str], wanted: dict[str, str], path: Path) -> None:
    """Raise if a required column is absent, naming the option that fixes it."""
    missing = [(role, col) for role, col in wanted.items() if col not in present]
    if not missing:
        return
    what = ", ".join(f"{role} column '{col}'" for role, col in missing)
    options = " ".join(f"--{role}-col NAME" for role, _ in missing)
    raise DataError(
        f"'{path}' has no {what}; columns present: {', '.join(repr(c) for c in present)}; "
        f"pass the right name(s) with {options}"
    )


def _example(table: Any, names: dict[str, str], mask: np.ndarray) -> str:
    """Describe the first offending row (1-based data row number) in one line."""
    i = int(np.flatnonzero(mask)[0])
    cells = []
    for role in CANONICAL_COLUMNS:
        v = table.column(names[role])[i].as_py()
        text = "(empty)" if v is None or (isinstance(v, float) and np.isnan(v)) else str(v)
        cells.append(f"{role}={text.strip() or '(empty)'}")
    return f"e.g. row {i + 1} after the header: {', '.join(cells)}"


def _as_text(col: Any) -> Any:
    """An Arrow column as trimmed text (integral floats without ``.0``)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    if pa.types.is_floating(col.type):
        vals = col.to_numpy(zero_copy_only=False)
        if np.all(np.isnan(vals) | (np.mod(vals, 1) == 0)):
            col = pc.cast(col, pa.int64(), safe=False).combine_chunks()
            col = pa.array(col, mask=np.isnan(vals)) if np.isnan(vals).any() else col
    if not (pa.types.is_string(col.type) or pa.types.is_large_string(col.type)):
        col = pc.cast(col, pa.string())
    return pc.utf8_trim_whitespace(col)


def _categorical(col: Any) -> tuple[np.ndarray, np.ndarray]:
    """Dictionary-encode a text column: (int32 codes with -1 for empty/null, categories)."""
    import pyarrow as pa

    enc = col.dictionary_encode()
    if isinstance(enc, pa.ChunkedArray):
        enc = enc.unify_dictionaries()
        cats = enc.chunk(0).dictionary if enc.num_chunks else pa.array([], pa.string())
        codes = np.concatenate([c.indices.fill_null(-1).to_numpy(zero_copy_only=False)
                                for c in enc.chunks]) if enc.num_chunks else np.zeros(0)
    else:
        cats, codes = enc.dictionary, enc.indices.fill_null(-1).to_numpy(zero_copy_only=False)
    categories = np.asarray(cats.to_pylist(), dtype=object)
    codes = codes.astype(np.int32, copy=False)
    empty = np.flatnonzero((categories == "") | pd.isna(categories))
    if empty.size:
        codes = np.where(np.isin(codes, empty), -1, codes).astype(np.int32)
    return codes, categories


def _merge_categories(codes: np.ndarray, categories: np.ndarray,
                      mapped: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Apply a renaming of the categories, merging those that become equal; sorted."""
    uniq, inverse = np.unique(mapped.astype(str), return_inverse=True)
    inverse = inverse.astype(np.int32)
    if codes.size and codes.min() < 0:
        new = np.where(codes >= 0, inverse[np.maximum(codes, 0)], -1).astype(np.int32)
    else:
        new = inverse[codes]  # int32, no int64 temporary
    return new, uniq.astype(object)


def normalise_product_codes(codes: Any) -> tuple[np.ndarray, str | None]:
    """Normalise product codes to the classification's width; say what changed.

    All-digit codes (also integers or integral floats such as ``101.0`` from a
    spreadsheet or a Parquet integer column) are HS codes whose leading zeros were
    lost: when the longest has at most 4 digits they are zero-padded to 4 (HS4,
    ``101`` -> ``0101``), when all have 5 or 6 digits to 6 (HS6). Other codes (letters,
    or digit codes whose lengths span both widths) are left as they are.

    Parameters
    ----------
    codes : array-like of str
        Distinct product codes (already stripped of surrounding blanks).

    Returns
    -------
    normalised : numpy.ndarray of str
        Same order and length as ``codes``; equal codes after normalisation are one
        product (``101`` and ``0101``).
    note : str or None
        One line for the user when codes were changed, else ``None``.

    Examples
    --------
    >>> out, note = normalise_product_codes(["101", "0101", "8703", "101.0"])
    >>> out.tolist()
    ['0101', '0101', '8703', '0101']
    >>> note.split(";")[1].strip()
    '4 codes became 2 products'
    """
    arr = np.asarray([str(c).strip() for c in codes], dtype=object)
    out = arr.copy()
    digits = np.array([c.isdigit() and c.isascii() for c in arr], dtype=bool)
    floaty = np.array([bool(_integral_float(c)) for c in arr], dtype=bool)
    numeric = digits | floaty
    if numeric.any():
        base = np.array([c.split(".")[0] for c in arr[numeric]], dtype=object)
        lengths = np.array([len(c) for c in base])
        width = 4 if lengths.max() <= 4 else 6 if lengths.min() >= 5 and lengths.max() <= 6 \
            else None
        if width is not None:
            out[numeric] = np.array([c.zfill(width) for c in base], dtype=object)
    changed = np.flatnonzero(out != arr)
    if changed.size == 0:
        return out.astype(str), None
    i = int(changed[0])
    width_txt = f"{len(out[i])}-digit HS codes"
    n_before, n_after = len(set(arr.tolist())), len(set(out.tolist()))
    merged = f"; {n_before} codes became {n_after} products" if n_after < n_before else ""
    return out.astype(str), (f"product codes: {changed.size} code(s) zero-padded or converted "
                             f"to {width_txt} (e.g. {arr[i]!r} -> {out[i]!r}){merged}")


def _integral_float(text: str) -> bool:
    """``'101.0'`` -> True (an integer written as a float), ``'10.5'`` -> False."""
    head, dot, tail = text.partition(".")
    return bool(dot) and head.isdigit() and head.isascii() and tail != "" and set(tail) <= {"0"}


def _parse_values(table: Any, names: dict[str, str], path: Path) -> np.ndarray:
    """The value column as float64, rejecting NaN, text, infinities and negatives."""
    import pyarrow as pa
    import pyarrow.compute as pc

    col = table.column(names["value"])
    if pa.types.is_dictionary(col.type):
        col = col.cast(col.type.value_type)
    vcol = names["value"]
    if pa.types.is_integer(col.type) or pa.types.is_floating(col.type) \
            or pa.types.is_decimal(col.type):
        values = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
        missing = np.isnan(values)
        if missing.any():
            raise DataError(
                f"'{path}': {int(missing.sum())} missing/NaN value(s) in column '{vcol}' "
                f"({_example(table, names, missing)}); fill them (0 if nothing was exported) "
                "or drop the rows")
    else:
        text = _as_text(col)
        missing = pc.is_in(pc.utf8_lower(text), value_set=pa.array(_MISSING_TEXT))
        missing = missing.to_numpy(zero_copy_only=False) | \
            text.is_null().to_numpy(zero_copy_only=False)
        if missing.any():
            raise DataError(
                f"'{path}': {int(missing.sum())} missing/NaN value(s) in column '{vcol}' "
                f"({_example(table, names, missing)}); fill them (0 if nothing was exported) "
                "or drop the rows")
        try:
            values = pc.cast(text, pa.float64()).to_numpy(zero_copy_only=False)
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
            parsed = pd.to_numeric(pd.Series(text.to_numpy(zero_copy_only=False)),
                                   errors="coerce").to_numpy(dtype=np.float64)
            bad = np.isnan(parsed)
            raise DataError(
                f"'{path}': {int(bad.sum())} non-numeric value(s) in column '{vcol}' "
                f"({_example(table, names, bad)}); values must be plain numbers") from None
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(
            f"'{path}': {int(bad.sum())} non-numeric value(s) in column '{vcol}' "
            f"({_example(table, names, bad)}); values must be plain numbers")
    negative = values < 0
    if negative.any():
        raise DataError(
            f"'{path}': {int(negative.sum())} negative value(s) in column '{vcol}' "
            f"({_example(table, names, negative)}); values must be >= 0 (exports, "
            "employment, counts)")
    return np.ascontiguousarray(values, dtype=np.float64)


def _parse_label(table: Any, names: dict[str, str], path: Path,
                 role: str) -> tuple[np.ndarray, np.ndarray]:
    """Codes and categories of a label column, rejecting empty cells."""
    codes, cats = _categorical(_as_text(table.column(names[role])))
    empty = codes < 0
    if empty.any():
        raise DataError(
            f"'{path}': {int(empty.sum())} empty cell(s) in column '{names[role]}' "
            f"({_example(table, names, empty)}); every row needs a {role}")
    return codes, cats


def _parse_years(table: Any, names: dict[str, str], path: Path) -> np.ndarray:
    """Years as int64 (or float64 if fractional), rejecting non-numeric cells."""
    codes, cats = _parse_label(table, names, path, "year")
    numbers = pd.to_numeric(pd.Series(cats, dtype=object), errors="coerce").to_numpy(
        dtype=np.float64)
    bad_cat = ~np.isfinite(numbers)
    if bad_cat.any():
        bad = np.isin(codes, np.flatnonzero(bad_cat))
        raise DataError(
            f"'{path}': {int(bad.sum())} non-numeric year(s) in column '{names['year']}' "
            f"({_example(table, names, bad)}); years must be numbers such as 2019")
    years = numbers[codes]
    if np.all(np.mod(numbers, 1) == 0):
        return years.astype(np.int64)
    return years


def _check_duplicates(df: pd.DataFrame, table: Any, names: dict[str, str], path: Path,
                      ) -> None:
    """Reject repeated (location, product, year) keys (after code normalisation)."""
    loc = df["location"].cat.codes.to_numpy(dtype=np.int64)
    prod = df["product"].cat.codes.to_numpy(dtype=np.int64)
    _, year = np.unique(df["year"].to_numpy(), return_inverse=True)
    n_prod = len(df["product"].cat.categories)
    n_year = int(year.max()) + 1 if year.size else 1
    key = (loc * n_prod + prod) * n_year + year
    dup = pd.Series(key).duplicated(keep=False).to_numpy()
    if dup.any():
        n_keys = int(np.unique(key[dup]).size)
        raise DataError(
            f"'{path}': {int(dup.sum())} rows share {n_keys} (location, product, year) key(s) "
            f"({_example(table, names, dup)}); aggregate them first (e.g. sum) so each key "
            "appears once (product codes such as 101 and 0101 count as one product)")


def _check_locations(df: pd.DataFrame, path: Path, col: str) -> None:
    """Complexity is relative: at least two locations are needed."""
    locations = df["location"].cat.categories
    if len(locations) < 2:
        raise DataError(
            f"'{path}': only one location ({locations[0]!r} in column '{col}'); complexity "
            "metrics compare locations, so at least 2 are needed (or is --location-col wrong?)"
        )


def _check_not_all_zero(df: pd.DataFrame, path: Path, col: str) -> None:
    """All-zero data has no RCA, no presence and no complexity: refuse it."""
    if not (df["value"].to_numpy() > 0).any():
        raise DataError(
            f"'{path}': every value in column '{col}' is 0; RCA and complexity need positive "
            "values (is --value-col the right column?)")


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
        Names of the four columns in the file. Other columns are not read.

    Returns
    -------
    pandas.DataFrame
        Columns ``location`` and ``product`` (categorical text, categories sorted;
        product codes normalised by :func:`normalise_product_codes`, e.g. ``101`` and
        ``0101`` both become ``"0101"``), ``year`` (int64, or float64 if fractional)
        and ``value`` (float64 >= 0), in file order. ``df.attrs["notes"]`` lists
        one-line notes for the user (e.g. codes that were changed).

    Raises
    ------
    DataError
        One line saying what is wrong and how to fix it: missing, unreadable or
        empty file; missing columns (lists the columns present and the option
        to pass); NaN, non-numeric or negative values and empty labels (count
        and an example row); duplicate (location, product, year) rows; only
        one location; all values zero.

    Notes
    -----
    Memory: the file is read with pyarrow (only the four columns), labels are
    dictionary-encoded and values cast to float64 without creating a Python object
    per cell; the peak for a 7-million-row table is in docs/reliability.md.
    """
    p = Path(path)
    names = {"location": location_col, "product": product_col, "year": year_col,
             "value": value_col}
    df = _load_fast(p, names)
    if df is None:  # something is wrong: the thorough reader says what, with an example row
        df = _load_thorough(p, names)
    _check_locations(df, p, location_col)
    _check_not_all_zero(df, p, value_col)
    return df


def _load_thorough(p: Path, names: dict[str, str]) -> pd.DataFrame:
    """Read the whole table as text and raise the precise :class:`DataError`, if any."""
    table = _read_table(p, names)
    if table.num_rows == 0:
        raise DataError(f"'{p}' has a header but no data rows")
    loc_codes, loc_cats = _parse_label(table, names, p, "location")
    loc_codes, loc_cats = _merge_categories(loc_codes, loc_cats, loc_cats)
    prod_codes, prod_cats = _parse_label(table, names, p, "product")
    normalised, note = normalise_product_codes(prod_cats)
    prod_codes, prod_cats = _merge_categories(prod_codes, prod_cats, normalised)
    values = _parse_values(table, names, p)
    years = _parse_years(table, names, p)
    df = pd.DataFrame({
        "location": pd.Categorical.from_codes(loc_codes, categories=pd.Index(loc_cats)),
        "product": pd.Categorical.from_codes(prod_codes, categories=pd.Index(prod_cats)),
        "year": years,
        "value": values,
    })
    _check_duplicates(df, table, names, p)
    df.attrs["notes"] = [note] if note else []
    return df


_BATCH_ROWS = 1 << 20


def _batches(path: Path, names: dict[str, str]) -> tuple[int | None, Iterator[Any]]:
    """Number of rows (if known) and record batches of the four columns.

    CSV labels are read dictionary-encoded and values as float64 directly, so no
    text column of the whole table is ever materialised.
    """
    import pyarrow as pa
    import pyarrow.csv as pacsv
    import pyarrow.parquet as pq

    kind, sep = _suffix_kind(path)
    cols = list(dict.fromkeys(names.values()))
    if kind == "Parquet":
        pf = pq.ParquetFile(path)
        _check_columns(list(pf.schema_arrow.names), names, path)
        return pf.metadata.num_rows, pf.iter_batches(batch_size=_BATCH_ROWS, columns=cols)
    parse = pacsv.ParseOptions(delimiter=sep)
    with pacsv.open_csv(path, parse_options=parse) as reader:
        present = list(reader.schema.names)
    _check_columns(present, names, path)
    label = pa.dictionary(pa.int32(), pa.string())
    types = {c: label for c in cols}
    types[names["value"]] = pa.float64()
    convert = pacsv.ConvertOptions(include_columns=cols, column_types=types,
                                   strings_can_be_null=False, quoted_strings_can_be_null=False,
                                   null_values=[])

    def stream() -> Iterator[Any]:
        with pacsv.open_csv(path, parse_options=parse, convert_options=convert,
                            read_options=pacsv.ReadOptions(block_size=1 << 24)) as reader:
            yield from reader

    return None, stream()


def _label_text(value: Any) -> str | None:
    """A label cell as stripped text (``101.0`` -> ``'101'``); ``None`` if missing."""
    if value is None:
        return None
    if isinstance(value, float):
        if value != value:
            return None
        if value.is_integer():
            return str(int(value))
    return str(value).strip()


class _Encoder:
    """Map batch-local dictionaries of a label column onto one global dictionary.

    With the number of rows known in advance (Parquet metadata) the codes are written
    into one preallocated int32 array; otherwise batches are concatenated at the end.
    """

    def __init__(self, n_rows: int | None = None) -> None:
        self.ids: dict[str, int] = {}
        self.out = None if n_rows is None else np.empty(n_rows, dtype=np.int32)
        self.pos = 0
        self.chunks: list[np.ndarray] = []
        self.bad = False

    def add(self, col: Any) -> None:
        import pyarrow as pa
        import pyarrow.compute as pc

        if not pa.types.is_dictionary(col.type):
            col = pc.dictionary_encode(col)
        if col.null_count:
            self.bad = True
            return
        local = np.empty(len(col.dictionary), dtype=np.int32)
        for i, value in enumerate(col.dictionary.to_pylist()):
            text = _label_text(value)
            if not text:
                self.bad = True
                return
            local[i] = self.ids.setdefault(text, len(self.ids))
        idx = col.indices.to_numpy(zero_copy_only=False)
        if self.out is not None and self.pos + len(idx) <= len(self.out):
            np.take(local, idx, out=self.out[self.pos:self.pos + len(idx)])
        else:
            self.chunks.append(local[idx])
        self.pos += len(idx)

    def codes(self) -> np.ndarray:
        if self.out is not None and not self.chunks:
            out, self.out = self.out[:self.pos], None
            return out
        out = np.concatenate(self.chunks) if self.chunks else np.zeros(0, np.int32)
        self.chunks = []
        return out

    def categories(self) -> np.ndarray:
        return np.asarray(list(self.ids), dtype=object)


def _values_of(col: Any) -> np.ndarray | None:
    """A value column batch as float64, or ``None`` if a cell is missing or not a number."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(col.type):
        col = col.dictionary_decode()
    if col.null_count:
        return None
    try:
        arr = pc.cast(col, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None
    if not np.all(np.isfinite(arr)) or (arr < 0).any():
        return None
    return arr


def _load_fast(path: Path, names: dict[str, str]) -> pd.DataFrame | None:
    """Stream the table batch by batch, keeping only integer codes and float64 values.

    Returns ``None`` as soon as anything is wrong (empty label, bad value or year,
    duplicate key...); :func:`_load_thorough` then finds and explains the problem.
    """
    import pyarrow as pa

    if not path.exists():
        raise DataError(f"cannot read '{path}': file not found")
    if path.is_dir():
        raise DataError(f"cannot read '{path}': it is a directory, expected a CSV or Parquet file")
    try:
        n_rows, batches = _batches(path, names)
        enc = {role: _Encoder(n_rows) for role in ("location", "product", "year")}
        value = np.empty(n_rows, dtype=np.float64) if n_rows is not None else None
        values: list[np.ndarray] = []
        pos = filled = 0
        for batch in batches:
            for role, e in enc.items():
                e.add(batch.column(batch.schema.get_field_index(names[role])))
                if e.bad:
                    return None
            v = _values_of(batch.column(batch.schema.get_field_index(names["value"])))
            if v is None:
                return None
            if value is not None and not values and pos + len(v) <= len(value):
                value[pos:pos + len(v)] = v
                filled = pos + len(v)
            else:
                values.append(v)
            pos += len(v)
            del batch, v
    except DataError:
        raise
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, OSError, UnicodeDecodeError,
            ValueError):
        return None  # the thorough reader reports it (conversion error, empty file...)
    pa.default_memory_pool().release_unused()
    if pos == 0:
        return None
    if value is None:
        value = np.concatenate(values)
    elif values:  # more rows than the metadata said (never expected): keep them all
        value = np.concatenate([value[:filled], *values])
    else:
        value = value[:filled]
    del values
    loc_codes, loc_cats = _merge_categories(enc["location"].codes(),
                                            enc["location"].categories(),
                                            enc["location"].categories())
    prod_cats = enc["product"].categories()
    normalised, note = normalise_product_codes(prod_cats)
    prod_codes, prod_cats = _merge_categories(enc["product"].codes(), prod_cats, normalised)
    year_codes = enc["year"].codes()
    numbers = pd.to_numeric(pd.Series(enc["year"].categories(), dtype=object),
                            errors="coerce").to_numpy(dtype=np.float64)
    if not np.all(np.isfinite(numbers)):
        return None
    integral = bool(np.all(np.mod(numbers, 1) == 0))
    uniq_years, year_ids = np.unique(numbers, return_inverse=True)
    if _has_duplicates(loc_codes, len(loc_cats), prod_codes, len(prod_cats),
                       year_ids.astype(np.int32)[year_codes], len(uniq_years)):
        return None
    years = (numbers.astype(np.int64) if integral else numbers)[year_codes]
    del year_codes
    df = pd.DataFrame({
        "location": pd.Categorical.from_codes(loc_codes, categories=pd.Index(loc_cats)),
        "product": pd.Categorical.from_codes(prod_codes, categories=pd.Index(prod_cats)),
        "year": years,
        "value": value,
    }, copy=False)
    df.attrs["notes"] = [note] if note else []
    return df


def _has_duplicates(loc: np.ndarray, n_loc: int, prod: np.ndarray, n_prod: int,
                    year: np.ndarray, n_year: int) -> bool:
    """Whether a (location, product, year) key repeats, by sorting one int64 key in place."""
    key = loc.astype(np.int64)
    key *= n_prod
    key += prod
    key *= n_year
    key += year
    key.sort()
    return bool(key.size > 1 and (key[1:] == key[:-1]).any())


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


OWNER_MARKER = ".s3sim-output.json"
"""Marker file in every folder s3sim writes: tool, version and the files it wrote."""


def file_digest(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes (hex), read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def digest_tree(folder: str | os.PathLike[str]) -> dict[str, str]:
    """SHA-256 of every file below ``folder`` (POSIX relative path -> hex digest).

    The marker file itself is left out.
    """
    root = Path(folder)
    out = {}
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.name != OWNER_MARKER:
            out[path.relative_to(root).as_posix()] = file_digest(path)
    return out


def _version() -> str:
    try:
        from importlib.metadata import version

        return version("s3sim")
    except Exception:  # not installed (source tree on PYTHONPATH)
        return "unknown"


def write_owner_marker(folder: str | os.PathLike[str], tool: str,
                       files: dict[str, str] | None = None, **extra: Any) -> Path:
    """Write ``folder/.s3sim-output.json``: the tool, its version and the files it wrote.

    Parameters
    ----------
    folder : path
        An existing folder.
    tool : str
        ``"s3sim"``, ``"s3sim-analyze"`` ...
    files : dict, optional
        Relative path -> SHA-256 of the files the tool wrote (default: every file now
        in the folder, from :func:`digest_tree`).
    **extra
        Further JSON-serialisable fields.
    """
    root = Path(folder)
    payload = {"tool": tool, "version": _version(),
               "written": time.strftime("%Y-%m-%dT%H:%M:%S"),
               "files": digest_tree(root) if files is None else dict(files), **extra}
    with atomic_write(root / OWNER_MARKER) as tmp:
        tmp.write_text(json.dumps(payload, indent=2, sort_keys=True))
    return root / OWNER_MARKER


def read_owner_marker(folder: str | os.PathLike[str]) -> dict[str, Any] | None:
    """The marker of ``folder``, or ``None`` if absent or unreadable."""
    try:
        data = json.loads((Path(folder) / OWNER_MARKER).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and "tool" in data else None


def foreign_entries(folder: str | os.PathLike[str]) -> list[str]:
    """Files below ``folder`` that s3sim did not write, or that changed since it did.

    A file counts as s3sim's only if the folder's marker lists it with the same
    SHA-256; everything else (including every file of a folder without a marker) is
    the user's. Empty sub-folders are ignored.
    """
    root = Path(folder)
    marker = read_owner_marker(root) or {}
    owned = marker.get("files") or {}
    out = []
    for path in sorted(root.rglob("*")):
        if path.is_dir() or (path.name == OWNER_MARKER and path.parent == root):
            continue
        rel = path.relative_to(root).as_posix()
        try:
            if owned.get(rel) != file_digest(path):
                out.append(rel)
        except OSError:
            out.append(rel)
    return out


def check_replaceable(path: str | os.PathLike[str], what: str = "output folder") -> None:
    """Refuse (:class:`OutputError`) to replace anything s3sim did not write.

    ``path`` may be absent, an empty folder, or a folder whose every file was written
    by s3sim and is unchanged (see :func:`foreign_entries`).
    """
    final = Path(path)
    if final.is_symlink() or (final.exists() and not final.is_dir()):
        raise OutputError(f"{what} '{final}' exists and is not a folder; choose a new folder")
    if not final.exists():
        for parent in final.absolute().parents:
            if parent.exists():
                if not parent.is_dir():
                    raise OutputError(f"{what} '{final}': '{parent}' is a file, not a folder; "
                                      "choose a path below a folder")
                break
        return
    foreign = foreign_entries(final)
    if foreign:
        shown = ", ".join(f"'{f}'" for f in foreign[:3]) + (" ..." if len(foreign) > 3 else "")
        raise OutputError(
            f"{what} '{final}' holds {len(foreign)} file(s) s3sim did not write ({shown}); "
            "nothing was changed: choose a new or empty folder, or move those files away")


def describe_os_error(exc: OSError, path: str | os.PathLike[str] | None = None) -> str:
    """One line for an OS error: the file, what happened and what to do."""
    import errno

    where = exc.filename if exc.filename is not None else path
    hints = {
        errno.EACCES: "check the folder's permissions or choose another location",
        errno.EPERM: "check the folder's permissions or choose another location",
        errno.EROFS: "the file system is read-only; choose another location",
        errno.ENOSPC: "the disk is full; free space or choose another location",
        errno.EDQUOT: "the disk quota is exceeded; free space or choose another location",
        errno.ENAMETOOLONG: "the file name is too long; use a shorter name or path",
        errno.ENOTDIR: "a part of the path is a file, not a folder; choose another path",
        errno.ENOENT: "a folder on the path does not exist; create it or fix the path",
        errno.EEXIST: "it already exists; choose another path",
        errno.EISDIR: "it is a folder; give a file path",
    }
    reason = exc.strerror or type(exc).__name__
    hint = hints.get(exc.errno or -1, "check the path and try again")
    return f"cannot write '{where}': {reason}; {hint}" if where else f"{reason}; {hint}"


def _missing_parents(path: Path) -> list[Path]:
    """Ancestors of ``path`` that do not exist yet, outermost first."""
    out = []
    for parent in path.parents:
        if parent.exists():
            break
        out.append(parent)
    return out[::-1]


@contextlib.contextmanager
def atomic_output_dir(path: str | os.PathLike[str], *, tool: str = "s3sim",
                      owned_only: bool = True) -> Iterator[Path]:
    """Build a directory in a temporary sibling and move it into place on success.

    Parameters
    ----------
    path : str or os.PathLike
        Final directory. Missing parent directories are created (and removed
        again on failure). An existing directory at ``path`` is replaced as a
        whole once the new one is complete -- but only if s3sim wrote all of it
        (:func:`check_replaceable`), unless ``owned_only`` is False.
    tool : str
        Recorded in the folder's marker file (:data:`OWNER_MARKER`), written last
        with the SHA-256 of every file.
    owned_only : bool, default True
        Refuse to replace a folder holding files s3sim did not write. Only callers
        that already own the parent folder (a job's ``result``) pass False.

    Yields
    ------
    pathlib.Path
        Temporary directory to write into (same file system as ``path``).

    Raises
    ------
    OutputError
        Before anything is written, if ``path`` holds files that are not s3sim's.

    Notes
    -----
    On an exception the temporary directory is deleted and ``path`` is left as
    it was (absent, or the previous version), then the exception propagates.
    """
    final = Path(path).absolute()
    if owned_only:
        check_replaceable(final)
    elif final.exists() and not final.is_dir():
        raise OutputError(f"output path '{final}' exists and is not a directory")
    created = _missing_parents(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name[:100]}.tmp-", dir=final.parent))
    try:
        yield tmp
        write_owner_marker(tmp, tool)
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
        prefix=f".{final.stem[:100]}.tmp-", suffix=final.suffix, dir=final.parent or "."
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
