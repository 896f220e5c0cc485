"""Imputation methods: fill missing indicator values.

Contract (see :mod:`mfgindex.methods.base`)::

    f(x: (n, m), ctx: UnitContext, *, params) -> (n, m)

Rows are units (unit-years in a panel), columns indicators. A method only ever replaces NaN
cells; observed values pass through bit for bit, so the pipeline finds the imputed cells as
``isnan(before) & ~isnan(after)``. A cell a method cannot fill (e.g. a group with no data) stays
NaN: imputation never invents a value it has no basis for.

**Panels.** When ``ctx.years`` is set, ``mean``, ``median``, ``group_mean`` and
``group_median`` compute their statistics *within each year* — COINr imputes each time point of
a panel (each coin of a purse) separately, and pooling years would mix levels that trend.
``latest`` and ``interpolate`` use a unit's other years and need a panel.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Literal

import numpy as np
from numpy.typing import NDArray

from mfgindex.errors import MethodError
from mfgindex.methods.base import FloatArray, UnitContext
from mfgindex.methods.registry import register

if TYPE_CHECKING:
    import pandas as pd  # imported where used: reading the registry must not need pandas


def _frame(x: FloatArray) -> pd.DataFrame:
    import pandas as pd

    arr = np.asarray(x, dtype=float)
    if arr.ndim != 2:
        raise MethodError(f"impute methods take a 2-d array (units × indicators); got {arr.shape}")
    return pd.DataFrame(arr.copy())


def _keys(ctx: UnitContext, n: int, group: str | None) -> list[pd.Series]:
    """Grouping keys for a within-year (and within-group) statistic; a missing group is NaN."""
    import pandas as pd

    keys: list[pd.Series] = []
    if ctx.years is not None:
        keys.append(pd.Series(np.asarray(ctx.years), name="__year__"))
    if group is not None:
        if group not in ctx.groups:
            available = ", ".join(sorted(ctx.groups)) or "none"
            raise MethodError(
                f"group column '{group}' not found in the data (unit columns: {available})",
                hint="name one of the data's unit columns, e.g. group_mean(group=EurAsia_group)",
            )
        raw = pd.Series(np.asarray(ctx.groups[group], dtype=object), name="__group__")
        # COINr's i_mean_grp(skip_f_na = TRUE): units without a group are left as they are.
        missing = raw.isna() | raw.astype(str).str.strip().isin(["", "nan", "NaN", "None"])
        keys.append(raw.where(~missing, None))
    for key in keys:
        if len(key) != n:
            raise MethodError(f"unit context has {len(key)} rows but the data has {n}")
    return keys


def _need_group(group: str | None, ctx: UnitContext, method: str) -> str:
    if group is None or not str(group).strip():
        available = ", ".join(sorted(ctx.groups)) or "none"
        raise MethodError(
            f"impute method '{method}' needs group=COLUMN (unit columns: {available})",
            hint=f"e.g. {method}(group=EurAsia_group)",
        )
    return str(group)


def _fill_by(
    x: FloatArray, ctx: UnitContext, stat: Literal["mean", "median"], group: str | None
) -> FloatArray:
    df = _frame(x)
    keys = _keys(ctx, len(df), group)
    if not keys:
        # pandas skips NaN; an all-missing column gives NaN, so it stays missing.
        fill = df.agg(stat)
        # np.array copies: pandas' to_numpy can return a read-only view (copy-on-write)
        return np.array(df.fillna(fill), dtype=float)
    by: list[Hashable] = []
    for i, key in enumerate(keys):
        df[f"__key{i}"] = key.to_numpy()
        by.append(f"__key{i}")
    cols = [c for c in df.columns if c not in by]
    # dropna=True: rows without a group get NaN statistics, so they are not filled.
    stats = df.groupby(by, dropna=True, sort=False)[cols].transform(stat)
    out = df[cols].fillna(stats)
    return np.array(out, dtype=float)


@register("mean", stage="impute")
def mean(x: FloatArray, ctx: UnitContext) -> FloatArray:
    """Replace each missing value by the mean of its indicator's observed values.

    .. math:: \\hat x_{ij} = \\frac{1}{|O_j|} \\sum_{k \\in O_j} x_{kj}

    where :math:`O_j` is the set of units observed on indicator *j* (in the same year, for a
    panel).

    Degenerate input: an indicator with no observed value stays missing (nothing to average);
    a constant indicator is filled with its constant; a single unit is returned as it is.

    References
    ----------
    COINr ``i_mean`` (R/impute.R).
    """
    return _fill_by(x, ctx, "mean", None)


@register("median", stage="impute")
def median(x: FloatArray, ctx: UnitContext) -> FloatArray:
    """Replace each missing value by the median of its indicator's observed values.

    Same policy as :func:`mean` (per year in a panel).

    Degenerate input: an all-missing indicator stays missing; a constant one is filled with its
    constant.

    References
    ----------
    COINr ``i_median`` (R/impute.R; ``stats::median``, the average of the two middle values for
    an even count).
    """
    return _fill_by(x, ctx, "median", None)


@register("group_mean", stage="impute")
def group_mean(x: FloatArray, ctx: UnitContext, *, group: str | None = None) -> FloatArray:
    """Replace each missing value by the mean of the observed values in the unit's group.

    ``group`` names a unit column of the dataset (e.g. ``EurAsia_group``). This is COINr's
    ``i_mean_grp`` as called by ``Impute(f_i = "i_mean_grp", use_group = ...)``:

    * a group whose units all lack the indicator gets ``mean(numeric(0)) = NaN`` in COINr, so
      its missing cells **stay missing** — there is no fall-back to the overall mean;
    * units with no group value (empty) are left untouched (``skip_f_na = TRUE``);
    * in a panel the means are taken within each year and group.

    Degenerate input: as stated above, an all-missing group stays missing and a unit without a
    group is untouched; a group of one observed unit gives that unit's value. ``group`` is
    required: omitting it, or naming a column that is not there, raises :class:`MethodError`
    listing the available unit columns.

    References
    ----------
    COINr 1.1.14, R/impute.R: ``i_mean_grp``, ``Impute.coin``.
    """
    return _fill_by(x, ctx, "mean", _need_group(group, ctx, "group_mean"))


@register("group_median", stage="impute")
def group_median(x: FloatArray, ctx: UnitContext, *, group: str | None = None) -> FloatArray:
    """Replace each missing value by the median of the observed values in the unit's group.

    Same policy as :func:`group_mean` (COINr ``i_median_grp``), per year in a panel.

    Degenerate input: an all-missing group stays missing, units without a group are untouched;
    a missing or unknown ``group`` raises :class:`MethodError` listing the unit columns.

    References
    ----------
    COINr 1.1.14, R/impute.R: ``i_median_grp``.
    """
    return _fill_by(x, ctx, "median", _need_group(group, ctx, "group_median"))


def _panel(x: FloatArray, ctx: UnitContext, method: str) -> tuple[pd.DataFrame, NDArray[np.intp]]:
    import pandas as pd

    if ctx.years is None:
        raise MethodError(
            f"impute method '{method}' needs panel data (a year column); this dataset has one "
            "observation per unit",
            hint="use mean, median, group_mean(group=...) or group_median(group=...) instead",
        )
    df = _frame(x)
    units = pd.Series(np.asarray(ctx.units).astype(str))
    years = np.asarray(ctx.years, dtype=np.int64)
    if len(units) != len(df) or len(years) != len(df):
        raise MethodError("unit context and data have different numbers of rows")
    dup = pd.DataFrame({"u": units, "y": years}).duplicated()
    if dup.any():
        i = int(np.flatnonzero(dup.to_numpy())[0])
        raise MethodError(
            f"unit '{units.iloc[i]}' appears twice in year {years[i]}",
            hint="a panel needs one row per unit and year",
        )
    order = np.lexsort((years, units.to_numpy()))
    return df, order


@register("latest", stage="impute")
def latest(x: FloatArray, ctx: UnitContext, *, max_years: int | None = None) -> FloatArray:
    """Last observation carried forward: fill a gap with the unit's latest earlier value.

    For unit *u*, indicator *j* and year *t*: :math:`\\hat x_{u,j,t} = x_{u,j,s}` with *s* the
    latest year before *t* in which *u* has a value of *j*, provided ``t − s ≤ max_years``
    (``None``: no limit). Years are sorted within each unit, whatever the row order.

    Nothing is carried backwards: a gap before a unit's first observation stays missing (as
    COINr's ``impute_panel(imp_type = "latest")``). COINr's ``max_time`` counts the panel's
    distinct time points rather than years; the two agree for a panel of consecutive years.

    Degenerate input: a unit never observed on an indicator stays missing; a cross-section
    (no ``ctx.years``) or a unit appearing twice in one year raises :class:`MethodError`.

    References
    ----------
    COINr 1.1.14, R/impute.R: ``impute_panel`` (``imp_type = "latest"``).
    """
    import pandas as pd

    if max_years is not None and (
        not isinstance(max_years, int | float) or isinstance(max_years, bool) or max_years < 0
    ):
        raise MethodError(f"latest: max_years must be a number of years >= 0, got {max_years!r}")
    df, order = _panel(x, ctx, "latest")
    units = np.asarray(ctx.units).astype(str)[order]
    years = np.asarray(ctx.years, dtype=float)[order]
    vals = df.to_numpy(dtype=float)[order]
    observed = ~np.isnan(vals)
    # the year of the latest observation so far, carried forward within each unit
    seen = pd.DataFrame(np.where(observed, years[:, None], np.nan))
    last_year = seen.groupby(units, sort=False).ffill().to_numpy()
    carried = pd.DataFrame(vals).groupby(units, sort=False).ffill().to_numpy()
    fill = np.isnan(vals) & ~np.isnan(carried)
    if max_years is not None:
        fill &= (years[:, None] - last_year) <= max_years
    vals = np.where(fill, carried, vals)
    out = np.empty_like(vals)
    out[order] = vals
    return out


@register("interpolate", stage="impute")
def interpolate(x: FloatArray, ctx: UnitContext, *, extrapolate: bool = False) -> FloatArray:
    """Linear interpolation between a unit's observed years.

    For a gap at year *t* between observations at years *a < t < b*:

    .. math:: \\hat x_t = x_a + (x_b - x_a)\\frac{t - a}{b - a}

    Gaps before the first or after the last observation stay missing unless
    ``extrapolate=true``, which carries the nearest observation outwards (constant, as COINr's
    ``impute_panel(imp_type = "linear")`` with ``stats::approx(rule = 2)``; it never extends a
    trend).

    Degenerate input: a unit with no observation of an indicator stays missing; with one
    observation it is filled only when extrapolating; a cross-section (no ``ctx.years``) or a
    unit appearing twice in one year raises :class:`MethodError`.

    References
    ----------
    COINr 1.1.14, R/impute.R: ``impute_panel`` (``imp_type = "linear"``).
    """
    df, order = _panel(x, ctx, "interpolate")
    units = np.asarray(ctx.units).astype(str)[order]
    years = np.asarray(ctx.years, dtype=float)[order]
    vals = df.to_numpy(dtype=float)[order]
    # rows of one unit are contiguous after the sort; interpolate each unit's block
    starts = np.flatnonzero(np.r_[True, units[1:] != units[:-1]])
    ends = np.r_[starts[1:], len(units)]
    for s, e in zip(starts, ends, strict=True):
        block = vals[s:e]
        if not np.isnan(block).any():
            continue
        t = years[s:e]
        for j in np.flatnonzero(np.isnan(block).any(axis=0)):
            col = block[:, j]
            obs = ~np.isnan(col)
            if not obs.any():
                continue
            filled = np.interp(t, t[obs], col[obs])
            if not extrapolate:
                outside = (t < t[obs].min()) | (t > t[obs].max())
                filled[outside] = np.nan
            # observed cells keep their exact values
            block[:, j] = np.where(obs, col, filled)
    out = np.empty_like(vals)
    out[order] = vals
    return out


@register("constant", stage="impute")
def constant(x: FloatArray, ctx: UnitContext) -> FloatArray:
    """Step (constant) interpolation within each unit's years, carried out to both ends.

    For unit *u* and indicator *j*, a gap at year *t* takes the value of the latest observation
    before *t*; a gap before the unit's first observation takes the first observation:

    .. math:: \\hat x_t = x_{\\max\\{s \\le t\\,:\\,x_s\\ \\text{observed}\\}}
              \\ \\text{else}\\ x_{\\min\\{s\\,:\\,x_s\\ \\text{observed}\\}}

    This is COINr's ``impute_panel(imp_type = "constant")``, i.e. ``stats::approx(method =
    "constant", rule = 2)`` (left-continuous steps, ``f = 0``). It differs from :func:`latest`
    only at the start: ``latest`` carries nothing backwards.

    Degenerate input: a unit never observed on an indicator stays missing; a cross-section
    (no ``ctx.years``) or a unit appearing twice in one year raises :class:`MethodError`.

    References
    ----------
    COINr 1.1.14, R/impute.R: ``impute_panel`` (``imp_type = "constant"``).
    """
    import pandas as pd

    df, order = _panel(x, ctx, "constant")
    units = np.asarray(ctx.units).astype(str)[order]
    vals = pd.DataFrame(df.to_numpy(dtype=float)[order])
    forward = vals.groupby(units, sort=False).ffill()
    filled = forward.groupby(units, sort=False).bfill().to_numpy()
    # observed cells keep their exact values
    out_sorted = np.where(np.isnan(vals.to_numpy()), filled, vals.to_numpy())
    out = np.empty_like(out_sorted)
    out[order] = out_sorted
    return out
