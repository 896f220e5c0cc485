"""Result of :func:`mfgindex.compute`: scores, ranks, stages, explanations, provenance."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from mfgindex.errors import DataError, Problem, UsageError, did_you_mean

if TYPE_CHECKING:
    import pandas as pd

    from mfgindex.data import Dataset
    from mfgindex.framework import Framework

__all__ = ["Explanation", "Result"]

#: Warn when more than this share of an indicator's values are imputed (COINr's screening
#: default keeps indicators with at least 2/3 of their data, so above 1/3 imputed).
IMPUTED_LIMIT = 1 / 3
#: Warn when an indicator has data for fewer than this share of the units.
COVERAGE_LIMIT = 2 / 3
# The intermediate datasets, latest first: the values normalisation receives.
_BEFORE_NORMALISE = ("treated", "screened", "imputed", "transformed", "denominated", "raw")


def _problem(what: str, hint: str, *, node: str, node_kind: str, year: int | None) -> Problem:
    """A warning about a node (and a year)."""
    return Problem(level="warning", what=what, hint=hint, node=node, node_kind=node_kind, year=year)


@dataclass(frozen=True)
class Explanation:
    """Why a unit scores what it scores.

    Attributes
    ----------
    table
        One row per node (depth-first): its score and rank for this unit, its effective weight
        within its parent (renormalised over the children present) and its contribution to the
        parent's score (points; exact for arithmetic aggregation, log-additive for geometric,
        NaN for other aggregators).
    strengths, weaknesses
        Indicators where the unit ranks best / worst among all units, as (id, rank) pairs.
    """

    unit: str
    name: str | None
    year: int | None
    score: float
    rank: float
    stage: str
    n_units: int
    table: pd.DataFrame
    strengths: list[tuple[str, int]] = field(default_factory=list)
    weaknesses: list[tuple[str, int]] = field(default_factory=list)


def _column_problems(
    col: np.ndarray, present: np.ndarray, where: dict[str, Any], coverage_limit: float
) -> list[Problem]:
    """Warnings about one indicator's column in one year: constant values, low coverage.

    Parameters
    ----------
    col : numpy.ndarray
        The indicator's values entering normalisation (NaN where missing).
    present : numpy.ndarray
        True where the unit has a value (or a bad cell that has its own warning).
    where : dict
        The place of the warnings (node, node_kind, year).
    coverage_limit : float
        The least share of units with data before a warning.

    Returns
    -------
    list of Problem
        The warnings, constant first.
    """
    out: list[Problem] = []
    values = col[~np.isnan(col)]
    if values.size > 1 and np.all(values == values[0]):
        out.append(
            Problem(
                "warning",
                f"constant: every unit has {values[0]:g}, so it cannot tell units apart",
                "check the data; minmax and zscore leave a constant indicator out of its group's score",
                **where,
            )
        )
    share = present.mean()
    if share < coverage_limit:
        out.append(
            Problem(
                "warning",
                f"low coverage: data for {int(present.sum())} of {present.size} units ({share:.0%})",
                "fill in the missing values, or impute them (--impute)",
                **where,
            )
        )
    return out


@dataclass(frozen=True)
class Result:
    """Scores of every unit on every node, their ranks and stages, and how they were made.

    ``score_matrix`` / ``rank_matrix`` are ``(n, nodes)`` in ``node_ids`` order (depth-first:
    the index, then each group followed by its subtree). Use :attr:`scores`, :attr:`ranks`,
    :attr:`stages` and :meth:`to_frame` for labelled tables.

    Ranks are computed lazily: ``ranked`` holds the nodes ranked by the run (the index and
    the groups); :meth:`rank_of` ranks any other node on first use and :attr:`rank_matrix`
    (every node) on first access, cached inside the result and read-only like the rest.
    ``steps`` holds the intermediate datasets a stage changed; ``raw`` (the dataset's values)
    and ``normalized`` (the indicator columns of ``score_matrix``) are views made on access.
    The treatment flags are held as ``treat_codes`` (small integers into ``treat_labels``);
    :attr:`treated` shows them as labels.
    """

    framework: Framework
    data: Dataset
    rows: np.ndarray
    node_ids: tuple[str, ...]
    score_matrix: np.ndarray
    ranked: Mapping[str, np.ndarray]
    stage_codes: np.ndarray
    steps: Mapping[str, np.ndarray]
    imputed: np.ndarray
    treat_codes: np.ndarray
    treat_labels: tuple[Any, ...]
    weights: Mapping[tuple[int | None, str], Mapping[str, float]]
    provenance: Mapping[str, Any]

    def __post_init__(self) -> None:
        # Truly immutable: the provenance certifies these values, so none may change after.
        from mfgindex._frozen import freeze

        for name in (
            "rows",
            "score_matrix",
            "ranked",
            "stage_codes",
            "imputed",
            "treat_codes",
            "treat_labels",
            "weights",
            "provenance",
        ):
            object.__setattr__(self, name, freeze(getattr(self, name)))
        steps = self.steps
        if not isinstance(steps, _Steps):
            steps = _Steps(
                self,
                {k: v for k, v in steps.items() if k not in ("raw", "normalized")},
                {k: v for k, v in steps.items() if k in ("raw", "normalized")},
            )
        object.__setattr__(self, "steps", steps.bind(self))
        object.__setattr__(self, "_rank_cache", {})
        object.__setattr__(self, "_flag_cache", {})

    @property
    def treated(self) -> np.ndarray:
        """``(n, indicators)`` treatment flags of every cell: COINr's labels (``"winhi"``,
        ``"winlo"``, ``"log_CT"``, …; ``""`` untouched; :mod:`mfgindex.methods.treat`), an
        object array made from the compact ``treat_codes`` on first access (a broadcast of
        ``""`` when nothing was treated) and cached, read-only."""
        cache: dict[str, np.ndarray] = self.__dict__["_flag_cache"]
        if "treated" not in cache:
            from mfgindex._frozen import read_only
            from mfgindex.methods.base import flag_labels

            cache["treated"] = read_only(flag_labels(self.treat_codes, self.treat_labels))
        return cache["treated"]

    # -- ranks (lazy) ---------------------------------------------------------------------
    def rank_of(self, node: str) -> np.ndarray:
        """``(n,)`` ranks on ``node`` within each year's block: 1 = best, ties share the
        lowest rank, NaN unranked (R's ``rank(-x, ties.method = "min", na.last = "keep")``).
        The index and groups were ranked by the run; another node is ranked here, once."""
        if node in self.ranked:
            out: np.ndarray = self.ranked[node]
            return out
        cache: dict[str, np.ndarray] = self.__dict__["_rank_cache"]
        if node not in cache:
            from mfgindex._frozen import read_only
            from mfgindex.methods.base import rank_min

            def rank_desc(v: np.ndarray) -> np.ndarray:
                return rank_min(v, descending=True)

            col = self.score_matrix[:, self.node_ids.index(node)]
            ranks = np.full(col.shape, np.nan)
            if self.years is None:
                ranks[:] = rank_desc(col)
            else:
                years = self.years
                for y in np.unique(years):
                    sel = np.flatnonzero(years == y)
                    ranks[sel] = rank_desc(col[sel])
            cache[node] = read_only(ranks)
        return cache[node]

    @property
    def rank_matrix(self) -> np.ndarray:
        """``(n, nodes)`` ranks of every node in ``node_ids`` order (computed on first access:
        at a million units, ranking the indicators costs more than the run itself)."""
        cache: dict[str, np.ndarray] = self.__dict__["_rank_cache"]
        if "*" not in cache:
            from mfgindex._frozen import read_only

            out = np.empty(self.score_matrix.shape)
            for k, node in enumerate(self.node_ids):
                out[:, k] = self.rank_of(node)
            cache["*"] = read_only(out)
        return cache["*"]

    # -- labelled views -------------------------------------------------------------------
    @property
    def units(self) -> np.ndarray:
        units: np.ndarray = self.data.units[self.rows]
        return units

    @property
    def years(self) -> np.ndarray | None:
        return None if self.data.years is None else self.data.years[self.rows]

    def _index(self) -> pd.Index:
        import pandas as pd

        unit_col = self.framework.unit_column
        index: pd.Index
        if self.years is None:
            index = pd.Index(self.units, name=unit_col)
        else:
            index = pd.MultiIndex.from_arrays([self.units, self.years], names=[unit_col, "year"])
        return index

    @property
    def scores(self) -> pd.DataFrame:
        """Units × nodes: normalised indicator values, group scores and the index."""
        import pandas as pd

        return pd.DataFrame(
            self.score_matrix, index=self._index(), columns=list(self.node_ids), copy=True
        )  # the result's own arrays are read-only

    @property
    def ranks(self) -> pd.DataFrame:
        """Units × nodes: 1 = best, ties share the lowest rank, NaN unranked."""
        import pandas as pd

        return pd.DataFrame(self.rank_matrix, index=self._index(), columns=list(self.node_ids), copy=True)

    def stage_labels(self, lang: str = "en") -> np.ndarray:
        rule = self.framework.stages
        if rule is None:
            return np.full(len(self.rows), "", dtype=object)
        return np.array([rule.label(int(c), lang) for c in self.stage_codes], dtype=object)

    @property
    def stages(self) -> pd.Series:
        """Each unit's development stage (empty when the framework has no stage rule)."""
        import pandas as pd

        return pd.Series(self.stage_labels(), index=self._index(), name="stage")

    def weights_of(self, group: str, year: int | None = None) -> Mapping[str, float] | None:
        """The weights ``group``'s children were aggregated with (child → weight), in ``year``
        (default: the latest year scored); None when the group has no recorded weights."""
        if year is None:
            years = [y for (y, g) in self.weights if g == group and y is not None]
            year = max(years) if years else None
        return self.weights.get((year, group))

    def weight_table(self) -> pd.DataFrame:
        """The weights used, one row per year, group and child (``year`` NaN for a
        cross-section): a tidy table for filtering and pivoting."""
        import pandas as pd

        rows = [
            {"year": year, "group": group, "node": child, "weight": w}
            for (year, group), used in self.weights.items()
            for child, w in used.items()
        ]
        return pd.DataFrame(rows, columns=["year", "group", "node", "weight"])

    def step(self, name: str) -> pd.DataFrame:
        """An intermediate dataset (COINr's ``dsets``): raw, denominated, transformed, imputed,
        screened, treated or normalized — indicator values as they left that stage."""
        import pandas as pd

        if name not in self.steps:
            raise UsageError(
                f"no step '{name}' in this result." + did_you_mean(name, self.steps),
                hint=f"steps recorded: {', '.join(self.steps)}",
            )
        ids = [i.id for i in self.framework.indicators]
        return pd.DataFrame(self.steps[name], index=self._index(), columns=ids, copy=True)

    def group_ids(self) -> list[str]:
        """Groups (not the index) from the lowest level up, file order within a level."""
        fw = self.framework
        groups = [n for n in self.node_ids if not fw.nodes[n].is_indicator and n != fw.id]
        return sorted(groups, key=lambda g: fw.level(g))

    def to_frame(
        self,
        *,
        lang: str = "en",
        indicators: bool = False,
        level: str | None = None,
        sort: bool = False,
        top: int | None = None,
        by: str | None = None,
        ranks: bool = False,
        headers: str = "ids",
        step: str | None = None,
        where: Mapping[str, Any] | None = None,
        units: Sequence[str] | None = None,
    ) -> pd.DataFrame:
        """The output table of the README.

        Columns: the unit id column, ``year`` when present, the name column when present,
        [the normalised indicators], one column per group, the index, ``rank`` (of ``level``,
        default the index), ``stage`` when the framework has a stage rule, and
        ``missing_groups`` when some unit is scored with a whole group missing (the groups it
        lacks; see :meth:`missing_groups`).

        Parameters
        ----------
        lang
            ``"zh"``: Chinese unit names and stage labels (and headers, with ``headers``).
        indicators
            Add the normalised indicator columns.
        level
            Rank by this node instead of the index.
        sort
            Best first (per year; with ``by``, the groups strongest first).
        top
            Only the units ranked ``top`` or better, per year (and per ``by`` group): ties at
            the cut are all kept. Implies ``sort``. This is ``mfgindex rank --top``.
        by
            A unit column such as ``province``: the column is added and ``rank`` is the rank
            within each of its groups (and year); sorted, the groups come strongest first (by
            their best unit's score), each group's units best first.
        ranks
            Add ``rank_<group>`` after each group's column: the units' rank on it (within
            ``by`` groups too), as CCID publishes dimension ranks.
        headers
            ``"ids"`` (default: the node ids, stable for programs) or ``"names"``: headers in
            ``lang`` (城市代码, 名称, 创新能力, …, 综合指数, 排名, 发展阶段 under ``"zh"``;
            see :func:`mfgindex.i18n.column_labels`).
        step
            Instead of the scores, the indicator values as they left this stage (COINr's
            ``get_dset``; :meth:`step`): ``raw``, ``denominated``, ``imputed``, ``treated``,
            ``normalized``, … after the unit columns; no rank or stage.
        where, units
            Show only the units whose unit column ``where`` names has the value given (or
            one of the values: ``{"province": ["江苏省", "浙江省"]}``), and only ``units`` (ids,
            or exact names). Ranks stay those among all the units scored (with ``by``, within
            the group); ``top`` is applied first.

        Examples
        --------
        >>> import mfgindex as mi
        >>> fw = mi.load_framework("city")
        >>> res = mi.compute(fw, mi.read_data(fw.dataset, fw))
        >>> list(res.to_frame(top=3, lang="zh", headers="names").columns)[:3]
        ['城市代码', '名称', '创新能力']
        >>> res.to_frame(by="province", top=1)["rank"].eq(1).all()
        np.True_
        """
        fw = self.framework
        level = self._frame_checks(level or fw.id, headers, top)
        out = self._unit_frame(lang, by)
        if step is not None:
            values = self.step(step)
            for c in values.columns:
                out[c] = values[c].to_numpy()
            return self._headers(self._select(out, where, units).reset_index(drop=True), headers, lang)
        out = self._score_columns(out, level, indicators=indicators, ranks=ranks, by=by, lang=lang)
        if sort or top is not None:
            out = _sorted(out, level, by=by, years=self.years is not None)
            if top is not None:
                out = out[out["rank"].le(top).fillna(False).to_numpy(dtype=bool)]
        return self._headers(self._select(out, where, units).reset_index(drop=True), headers, lang)

    def _frame_checks(self, level: str, headers: str, top: int | None) -> str:
        """:meth:`to_frame`'s arguments checked; the level ranked."""
        fw = self.framework
        if level not in self.node_ids:
            raise UsageError(
                f"'{level}' is not a node of framework '{fw.id}'." + did_you_mean(level, self.node_ids),
                hint=f"groups: {', '.join(self.group_ids())}",
            )
        if headers not in ("ids", "names"):
            raise UsageError(f"headers must be 'ids' or 'names', got {headers!r}")
        if top is not None and top < 1:
            raise UsageError(
                f"must be at least 1, got {top}",
                where="--top",
                hint="--top N shows the N best units (per year); leave it out for all",
            )
        return level

    def _unit_frame(self, lang: str, by: str | None) -> pd.DataFrame:
        """The unit columns of :meth:`to_frame`: id, year, name and the ``by`` column."""
        import pandas as pd

        fw = self.framework
        out = pd.DataFrame({fw.unit_column: self.units})
        if self.years is not None:
            out["year"] = self.years
        names = self._names(lang)
        if names is not None:
            out[self._name_header(lang)] = names
        if by is not None:
            if by not in self.data.unit_columns:
                raise UsageError(
                    f"--by: no unit column '{by}' in the data."
                    + did_you_mean(by, self.data.unit_columns.columns),
                    hint="unit columns: " + ", ".join(map(str, self.data.unit_columns.columns)),
                )
            out[by] = self.data.unit_columns[by].to_numpy(dtype=object)[self.rows]
        return out

    def _score_columns(
        self, out: pd.DataFrame, level: str, *, indicators: bool, ranks: bool, by: str | None, lang: str
    ) -> pd.DataFrame:
        """:meth:`to_frame`'s scores, ranks, stage and missing groups after the unit columns."""
        fw = self.framework
        cols = []
        if indicators:
            cols += [i.id for i in fw.indicators]
        cols += [*self.group_ids(), fw.id]
        if level not in cols:
            cols.append(level)
        pos = {n: k for k, n in enumerate(self.node_ids)}
        within = ([by] if by is not None else []) + (["year"] if self.years is not None else [])
        for c in cols:
            if c in out.columns:  # e.g. --by a unit column named like a node: never overwrite
                raise UsageError(
                    f"column '{c}' would be both a unit column and the scores of node '{c}'",
                    hint="choose another --by column, or rename the node in the framework",
                )
            out[c] = self.score_matrix[:, pos[c]]
            if ranks and c in self.group_ids():
                out[f"rank_{c}"] = self._rank_column(out, c, pos, by, within)
        out["rank"] = self._rank_column(out, level, pos, by, within)
        if fw.stages is not None and level == fw.id:
            out["stage"] = self.stage_labels(lang)
        gaps = self.missing_groups()
        if any(gaps):  # flag units ranked with a whole group missing (diagnostics warn too)
            out["missing_groups"] = [
                ", ".join(fw.nodes[g].label(lang) if lang == "zh" else g for g in gap) for gap in gaps
            ]
        return out

    def _headers(self, out: pd.DataFrame, headers: str, lang: str) -> pd.DataFrame:
        """``out`` with its headers in ``lang`` when ``headers == "names"``."""
        if headers != "names":
            return out
        from mfgindex.i18n import column_labels

        renamed: pd.DataFrame = out.rename(columns=column_labels(self.framework, out.columns, lang))
        return renamed

    def _select(
        self, out: pd.DataFrame, where: Mapping[str, Any] | None, units: Sequence[str] | None
    ) -> pd.DataFrame:
        """The rows of ``out`` (rows of the result, in any order) kept by ``where`` / ``units``."""
        if not where and not units:
            return out
        keep = np.ones(len(self.rows), dtype=bool)
        columns = self.data.unit_columns
        for col, wanted in (where or {}).items():
            if col not in columns:
                raise UsageError(
                    f"--where: no unit column '{col}' in the data." + did_you_mean(col, columns.columns),
                    hint="unit columns: " + ", ".join(map(str, columns.columns)),
                )
            values = {str(v) for v in ([wanted] if isinstance(wanted, str) else wanted)}
            have = columns[col].to_numpy(dtype=object)[self.rows].astype(str)
            if not np.isin(have, list(values)).any():
                known = sorted(set(have.tolist()))
                raise UsageError(
                    f"--where: no unit has {col} = {', '.join(sorted(values))}."
                    + did_you_mean(sorted(values)[0], known),
                    hint=f"values of '{col}': {', '.join(known[:10])}" + (", …" if len(known) > 10 else ""),
                )
            keep &= np.isin(have, list(values))
        if units:
            wanted_units = {str(u) for u in units}
            match = np.isin(self.units.astype(str), list(wanted_units))
            for names in (self.data.names, self.data.names_zh(self.framework)):
                if names is not None:
                    match |= np.isin(names[self.rows].astype(str), list(wanted_units))
            if not match.any():
                raise UsageError(
                    f"--unit: no unit {', '.join(sorted(wanted_units))} in the result",
                    hint=f"give ids from column '{self.framework.unit_column}' or exact names",
                )
            keep &= match
        # ``out`` keeps the result's row order in its index until reset: select through it
        chosen: pd.DataFrame = out[keep[out.index.to_numpy()]]
        return chosen

    def _rank_column(
        self, out: pd.DataFrame, node: str, pos: Mapping[str, int], by: str | None, within: list[str]
    ) -> Any:
        """The ranks of ``node`` (1 = best, ties the lowest rank): the result's, or within
        each ``by`` group and year."""
        import pandas as pd

        ranks = self.rank_of(node)
        if by is not None:
            grouped = out.groupby(within, sort=False)[node]
            ranks = grouped.rank(method="min", ascending=False).to_numpy(dtype=float)
        return pd.array(ranks, dtype="Float64").astype("Int64")

    def _names(self, lang: str) -> np.ndarray | None:
        if lang == "zh":
            zh = self.data.names_zh(self.framework)
            if zh is not None:
                named: np.ndarray = zh[self.rows]
                return named
        if self.data.names is None:
            return None
        names: np.ndarray = self.data.names[self.rows]
        return names

    def _name_header(self, lang: str) -> str:
        fw = self.framework
        if lang == "zh" and fw.name_column_zh and fw.name_column_zh in self.data.unit_columns:
            return fw.name_column_zh
        return fw.name_column or "name"

    # -- diagnostics --------------------------------------------------------------------------
    def diagnostics(
        self,
        *,
        imputed_limit: float = IMPUTED_LIMIT,
        coverage_limit: float = COVERAGE_LIMIT,
    ) -> list[Problem]:
        """Warnings about the data as it was scored (``mfgindex … --strict`` makes them errors).

        Checked in each year of a panel, on the values entering normalisation (after
        denominate, transform, impute and treat):

        * only one unit — minmax, zscore and rank compare units, so nothing can be scored;
        * an indicator with no values, or a constant one (every unit the same value): it
          cannot tell units apart, and minmax / zscore leave it out of its group (NaN);
        * an indicator with data for fewer than ``coverage_limit`` of the units;
        * an indicator with more than ``imputed_limit`` of its values imputed;
        * bad cells (docs/troubleshooting.md): a value outside its transform's domain (a log of 0) or one
          the group's aggregator refuses (a negative under a geometric mean) — the units named
          have no score on that node and every node above it; a zero under a geometric or
          harmonic mean, which makes the group 0 (its limit);
        * low coverage: units without a score for a group (or the index) because less than
          ``min_coverage`` of the group's weight had data.

        Returns
        -------
        list of Problem
            Each with level ``"warning"``, a place and a hint.
        """
        from mfgindex.years import year_blocks

        fw = self.framework
        out, explained = self._bad_cell_problems()
        out += self._total_rows()
        before = next(self.steps[k] for k in _BEFORE_NORMALISE if k in self.steps)
        pos = {n: k for k, n in enumerate(self.node_ids)}
        for year, rows in ((b.year, b.rows) for b in year_blocks(self.years, len(self.rows))):
            root_scores = self.score_matrix[rows, pos[fw.id]]
            if rows.size == 1 and np.isnan(root_scores).all():  # goalposts do score a single unit
                out.append(self._single_unit_problem(rows, year))
                continue
            out += self._indicator_problems(
                before, explained, rows, year, pos, imputed_limit=imputed_limit, coverage_limit=coverage_limit
            )
            out += self._group_coverage_problems(explained, rows, year, pos)
            out += self._missing_group_problems(rows, year)
        return out

    def _single_unit_problem(self, rows: np.ndarray, year: int | None) -> Problem:
        """The warning for a year with a single unit that relative normalisations cannot score.

        Parameters
        ----------
        rows : numpy.ndarray
            The row positions of the year (one row).
        year : int or None
            The year of the block, None outside a panel.

        Returns
        -------
        Problem
            A warning naming the unit, with a hint towards fixed bounds.
        """
        return Problem(
            "warning",
            f"only one unit ({self.units[rows[0]]}): minmax, zscore and rank "
            "normalisation compare units, so they cannot score it",
            "add units, or normalise against fixed bounds: --normalize 'goalposts(low=..., high=...)'",
            file=self.data.source,
            year=year,
        )

    def _indicator_problems(
        self,
        before: np.ndarray,
        explained: np.ndarray,
        rows: np.ndarray,
        year: int | None,
        pos: Mapping[str, int],
        *,
        imputed_limit: float,
        coverage_limit: float,
    ) -> list[Problem]:
        """Warnings about each indicator's values in one year (see :meth:`diagnostics`).

        Parameters
        ----------
        before : numpy.ndarray
            The values entering normalisation, one column per indicator.
        explained : numpy.ndarray
            True where a bad cell already explains a missing score (rows by nodes).
        rows : numpy.ndarray
            The row positions of the year.
        year : int or None
            The year of the block, None outside a panel.
        pos : Mapping[str, int]
            The column of each node in the score matrix.
        imputed_limit, coverage_limit : float
            The thresholds of :meth:`diagnostics`.

        Returns
        -------
        list of Problem
            The warnings, indicator by indicator in framework order.
        """
        out: list[Problem] = []
        for j, iid in enumerate(i.id for i in self.framework.indicators):
            col = before[rows, j]
            # a bad cell (a log of 0) is not a missing value: its own warning names it
            present = ~np.isnan(col) | explained[rows, pos[iid]]
            where: dict[str, Any] = {"node": iid, "node_kind": "indicator", "year": year}
            if not present.any():
                out.append(
                    Problem(
                        "warning",
                        "every value is missing",
                        "fill in the column, or remove the indicator from the framework; its "
                        "group is scored from the other indicators",
                        **where,
                    )
                )
                continue
            out += _column_problems(col, present, where, coverage_limit)
            imputed = float(self.imputed[rows, j].mean())
            if imputed > imputed_limit:
                out.append(
                    Problem(
                        "warning",
                        f"{imputed:.0%} of the values were imputed (more than {imputed_limit:.0%})",
                        "scores lean on imputed values: collect more data, or drop the indicator",
                        **where,
                    )
                )
        return out

    def _group_coverage_problems(
        self, explained: np.ndarray, rows: np.ndarray, year: int | None, pos: Mapping[str, int]
    ) -> list[Problem]:
        """Warnings about units left without a group (or index) score by the coverage rule.

        Parameters
        ----------
        explained : numpy.ndarray
            True where a bad cell already explains a missing score (rows by nodes).
        rows : numpy.ndarray
            The row positions of the year.
        year : int or None
            The year of the block, None outside a panel.
        pos : Mapping[str, int]
            The column of each node in the score matrix.

        Returns
        -------
        list of Problem
            One warning per group with unexplained missing scores, in framework order.
        """
        fw = self.framework
        out: list[Problem] = []
        threshold = float(self.provenance.get("methods", {}).get("min_coverage", fw.min_coverage))
        for node in fw.walk():
            if node.is_indicator:
                continue
            score = self.score_matrix[rows, pos[node.id]]
            lost = np.isnan(score) & ~explained[rows, pos[node.id]]
            if lost.any():
                units = [str(u) for u in self.units[rows[lost]]]
                shown = ", ".join(units[:5]) + (f" and {len(units) - 5} more" if len(units) > 5 else "")
                kind = "index" if node.id == fw.id else "group"
                out.append(
                    Problem(
                        "warning",
                        f"low coverage: {len(units)} unit(s) have no score because less than "
                        f"{threshold:.0%} of the weight of its children has data: {shown}",
                        "fill in or impute the missing values (--impute), or lower --min-coverage",
                        node=node.id,
                        node_kind=kind,
                        year=year,
                    )
                )
        return out

    def _missing_group_problems(self, rows: np.ndarray, year: int | None) -> list[Problem]:
        """The warning about units scored and ranked although a whole group is missing.

        Parameters
        ----------
        rows : numpy.ndarray
            The row positions of the year.
        year : int or None
            The year of the block, None outside a panel.

        Returns
        -------
        list of Problem
            One warning, or none when every scored unit has all its groups.
        """
        fw = self.framework
        gaps = self.missing_groups()
        hit = [int(r) for r in rows if gaps[r]]
        if not hit:
            return []
        # The coverage rule let them through, so they are ranked: say which, and why
        # their scores may mislead (entropy + TOPSIS can rank such a unit near the top).
        listed = [f"{self._unit_label(r)}: {', '.join(gaps[r])}" for r in hit[:5]]
        more = f" and {len(hit) - 5} more" if len(hit) > 5 else ""
        return [
            Problem(
                "warning",
                f"{len(hit)} unit(s) are scored and ranked with a whole group missing: "
                f"{'; '.join(listed)}{more}",
                "their scores rest on the other groups (the output's missing_groups column "
                "names them): impute the missing values (--impute), or raise --min-coverage "
                "to leave such units unscored",
                node=fw.id,
                node_kind="index",
                year=year,
            )
        ]

    def missing_groups(self) -> list[tuple[str, ...]]:
        """For each row with an index score, the groups it has no score on (the highest
        missing group of a branch, not its sub-groups); empty for a complete row or an
        unscored one."""
        fw = self.framework
        pos = {n: k for k, n in enumerate(self.node_ids)}
        groups = [g for g in self.group_ids() if fw.nodes[g].parent is not None]
        scored = ~np.isnan(self.score_matrix[:, pos[fw.id]])
        lost = {g: np.isnan(self.score_matrix[:, pos[g]]) & scored for g in groups}
        out: list[tuple[str, ...]] = []
        for r in range(len(self.rows)):
            gaps = [g for g in groups if lost[g][r]]
            top = tuple(g for g in gaps if fw.nodes[g].parent not in gaps)
            out.append(top)
        return out

    def _unit_label(self, i: int) -> str:
        """``U1 (One)``: a result row's unit id and name, for a message."""
        from mfgindex.errors import printable

        unit = printable(self.units[i])
        names = self.data.names
        name = None if names is None else printable(names[self.rows[i]])
        return f"{unit} ({name})" if name and name != unit else unit

    def _total_rows(self) -> list[Problem]:
        """A warning for rows that look like a total or an average (合计, 全国, Total, …),
        not a unit: ranked with the units, they push every unit down a place."""
        from mfgindex.data.validate import total_row_hits

        columns = [np.asarray(self.units, dtype=object)]
        if self.data.names is not None:
            columns.append(np.asarray(self.data.names[self.rows], dtype=object))
        hits = sorted(set().union(*(total_row_hits(c) for c in columns)))
        if not hits:
            return []
        shown = ", ".join(
            self._unit_label(i) + (f" ({int(self.years[i])})" if self.years is not None else "")
            for i in hits[:5]
        )
        more = f" and {len(hits) - 5} more" if len(hits) > 5 else ""
        return [
            Problem(
                level="warning",
                file=self.data.source,
                what=f"{len(hits)} row(s) look like a total or an average, not a unit, "
                f"and are scored and ranked as units: {shown}{more}",
                hint="delete those rows from the data (a total is not a unit, and it "
                "pushes every unit below it down a rank)",
            )
        ]

    def _bad_cell_problems(self) -> tuple[list[Problem], np.ndarray]:
        """Warnings about the bad cells recorded in provenance (docs/troubleshooting.md), and the
        ``(n, nodes)`` mask of scores they explain being NaN (low coverage does not)."""
        fw = self.framework
        explained = np.zeros(self.score_matrix.shape, dtype=bool)
        records = self.provenance.get("bad_cells") or []
        if not records:
            return [], explained
        pos = {n: k for k, n in enumerate(self.node_ids)}
        where_in = {int(r): k for k, r in enumerate(self.rows)}
        out: list[Problem] = []
        for rec in records:
            local = [where_in[r] for r in rec["rows"] if r in where_in]
            if not local:
                continue
            node = fw.nodes[rec["node"]]
            kind = "indicator" if node.is_indicator else "index" if node.id == fw.id else "group"
            shown = ", ".join(self._unit_label(i) for i in local[:5])
            more = f" and {len(local) - 5} more" if len(local) > 5 else ""
            if rec["kind"] == "zero":
                what = f"{rec['what']}: {len(local)} unit(s) score 0 on {kind} '{node.id}': {shown}{more}"
            else:
                what = (
                    f"{rec['what']}: {len(local)} unit(s) have no score on {kind} "
                    f"'{node.id}' and every node above it: {shown}{more}"
                )
                up: str | None = node.id
                while up is not None:
                    explained[local, pos[up]] = True
                    up = fw.nodes[up].parent
            out.append(_problem(what, rec["hint"], node=node.id, node_kind=kind, year=rec.get("year")))
        return out, explained

    def require_scores(self) -> None:
        """Raise when the result is unusable: values became infinite on the way (e.g. a ratio
        to a zero denominator), or no unit has an index score — nothing to rank or report.

        Raises
        ------
        DataError
            Listing the :meth:`diagnostics` that explain why (one unit, constant or missing
            indicators, low coverage).
        """
        ids = [i.id for i in self.framework.indicators]
        steps = self.steps
        for step in steps:
            # column by column: the lazy steps (raw, normalized) are never made whole here
            hit = [
                j
                for j in range(len(ids))
                if np.isinf(
                    _Steps.column(steps, step, j) if isinstance(steps, _Steps) else steps[step][:, j]
                ).any()
            ]
            if hit:
                j = hit[0]
                bad = np.isinf(
                    _Steps.column(steps, step, j) if isinstance(steps, _Steps) else steps[step][:, j]
                )
                units = ", ".join(str(u) for u in self.units[bad][:5])
                raise DataError(
                    f"indicator '{ids[j]}' has infinite values after the '{step}' step (units: {units})",
                    where=self.data.source,
                    hint="a value divided by a denominator of (nearly) 0, or numbers too large for "
                    "the method: check those cells, or skip the stage (--denominate none)",
                )
        scores = self.score_matrix[:, self.node_ids.index(self.framework.id)]
        if scores.size and not np.isnan(scores).all():
            return
        problems = self.diagnostics()
        lines = [f"{p.where}: {p.what}" for p in problems[:8]]
        hint = next((p.hint for p in problems if p.hint), None) or ("check the data with `mfgindex validate`")
        raise DataError(
            f"no unit could be scored on index '{self.framework.id}'",
            where=self.data.source,
            problems=lines,
            hint=hint,
        )

    # -- explain ------------------------------------------------------------------------------
    def _row_of(self, unit: str, year: int | None) -> int:
        """The row of ``unit`` — its id, or its exact name in English or Chinese."""
        hits = np.flatnonzero(self.units.astype(str) == str(unit))
        columns = [c for c in (self.data.names, self.data.names_zh(self.framework)) if c is not None]
        for names in columns:
            if hits.size == 0:
                hits = np.flatnonzero(names[self.rows].astype(str) == str(unit))
        if hits.size == 0 and self.data.names is not None:
            # "Suzhou" is the pinyin of both "Suzhou (Jiangsu)" and "Suzhou (Anhui)": match the
            # name before its qualifier, ignoring case, and offer both rather than "Suizhou"
            wanted = str(unit).strip().casefold()
            full = [n.casefold() for n in self.data.names[self.rows].astype(str)]
            hits = np.flatnonzero(np.array([n == wanted for n in full]))
            if hits.size == 0:
                hits = np.flatnonzero(np.array([n.split(" (")[0].strip() == wanted for n in full]))
        if hits.size == 0:
            known = list(dict.fromkeys(self.units.astype(str).tolist()))
            for names in columns:
                known += list(dict.fromkeys(names[self.rows].astype(str).tolist()))
            raise DataError(
                f"no unit '{unit}' in the result." + did_you_mean(str(unit), known),
                hint=f"give an id from column '{self.framework.unit_column}'"
                + (" or a unit's exact name" if columns else ""),
            )
        ids = sorted(set(self.units[hits].astype(str).tolist()))
        if len(ids) > 1:
            first = {str(self.units[h]): int(h) for h in hits[::-1]}
            shown = []
            for i in ids[:5]:
                labels = [str(c[self.rows[first[i]]]) for c in columns]
                shown.append(f"{i} ({', '.join(labels)})" if labels else i)
            listed = "; ".join(shown)
            raise DataError(f"'{unit}' is the name of {len(ids)} units: {listed}", hint="give the unit's id")
        if self.years is not None:
            yrs = self.years[hits]
            if year is None:
                year = int(yrs.max())
            sel = hits[yrs == year]
            if sel.size == 0:
                raise DataError(
                    f"unit '{unit}' has no row for year {year}",
                    hint=f"its years: {', '.join(map(str, sorted(yrs)))}",
                )
            return int(sel[0])
        return int(hits[0])

    def explain(
        self, unit: str, *, year: int | None = None, lang: str = "en", n_best: int = 3
    ) -> Explanation:
        """Decompose ``unit``'s score (latest year of a panel unless ``year``) into contributions.

        Contributions of a node's children to its score:

        * arithmetic mean: ``c_i = w_i x_i / Σ_present w`` — they sum to the parent's score;
        * geometric mean: log-additive, ``c_i = y · (w_i ln x_i) / Σ w_j ln x_j`` where
          ``y`` is the parent's score — they sum to it too;
        * other aggregators: NaN (no exact decomposition).
        """
        import pandas as pd

        fw = self.framework
        r = self._row_of(unit, year)
        pos = {n: k for k, n in enumerate(self.node_ids)}
        scores, ranks = self.score_matrix[r], self.rank_matrix[r]
        methods = self.provenance["methods"].get("aggregate", {})
        yr = None if self.years is None else int(self.years[r])
        rows = []
        for node in fw.walk():
            parent = node.parent
            weight, contribution = self._contribution(node.id, parent, scores, pos, yr, methods)
            rows.append(
                {
                    "node": node.id,
                    "label": node.label(lang),
                    "parent": parent or "",
                    "depth": fw.depth(node.id),
                    "score": scores[pos[node.id]],
                    "rank": ranks[pos[node.id]],
                    "weight": weight,
                    "contribution": contribution,
                }
            )
        table = pd.DataFrame(rows)
        strengths, weaknesses = self._strengths(ranks, pos, n_best)
        n_units = int(
            np.sum(~np.isnan(self.rank_of(fw.id)) & ((self.years == yr) if yr is not None else True))
        )
        names = self._names(lang)
        return Explanation(
            unit=str(self.units[r]),
            name=None if names is None else str(names[r]),
            year=yr,
            score=float(scores[pos[fw.id]]),
            rank=float(ranks[pos[fw.id]]),
            stage=str(self.stage_labels(lang)[r]),
            n_units=n_units,
            table=table,
            strengths=strengths,
            weaknesses=weaknesses,
        )

    def _contribution(
        self,
        node: str,
        parent: str | None,
        scores: np.ndarray,
        pos: Mapping[str, int],
        yr: int | None,
        methods: Mapping[str, Any],
    ) -> tuple[float, float]:
        """The effective weight of ``node`` in its parent and its contribution to the parent's score.

        Parameters
        ----------
        node : str
            The node's id.
        parent : str or None
            Its parent's id, None for the index.
        scores : numpy.ndarray
            The unit's scores on every node (``node_ids`` order).
        pos : Mapping[str, int]
            The column of each node in the score matrix.
        yr : int or None
            The unit's year, None outside a panel.
        methods : Mapping[str, Any]
            The aggregator of each group (provenance).

        Returns
        -------
        tuple of float
            ``(weight, contribution)``, each NaN where it is not defined (see :meth:`explain`).
        """
        weight = contribution = np.nan
        if parent is None:
            return weight, contribution
        siblings = self.framework.children(parent)
        used = self.weights.get((yr, parent)) or {}
        w = np.array([used.get(s, np.nan) for s in siblings])
        x = np.array([scores[pos[s]] for s in siblings])
        present = ~np.isnan(x)
        total = w[present].sum()
        k = siblings.index(node)
        if present[k] and total > 0:
            weight = w[k] / total
            kind = _decomposition(str(methods.get(parent, "")))
            if kind == "additive":
                contribution = weight * x[k]
            elif kind == "log-additive" and np.all(x[present] > 0):
                logs = (w[present] / total) * np.log(x[present])
                denom = logs.sum()
                if denom != 0:
                    contribution = scores[pos[parent]] * (weight * np.log(x[k])) / denom
        return weight, contribution

    def _strengths(
        self, ranks: np.ndarray, pos: Mapping[str, int], n_best: int
    ) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
        """The unit's best and worst ranked indicators.

        Parameters
        ----------
        ranks : numpy.ndarray
            The unit's ranks on every node (``node_ids`` order).
        pos : Mapping[str, int]
            The column of each node in the rank matrix.
        n_best : int
            How many of each to list.

        Returns
        -------
        tuple of list
            ``(strengths, weaknesses)``, each ``(indicator, rank)`` pairs, best first and worst first.
        """
        fw = self.framework
        ind_ranks = [(i.id, ranks[pos[i.id]]) for i in fw.indicators if not np.isnan(ranks[pos[i.id]])]
        ordered = sorted(ind_ranks, key=lambda t: t[1])
        strengths = [(k, int(v)) for k, v in ordered[:n_best]]
        weaknesses = [(k, int(v)) for k, v in reversed(ordered[-n_best:])] if ordered else []
        return strengths, weaknesses

    def change(
        self, from_year: int | None = None, to_year: int | None = None, *, level: str | None = None
    ) -> pd.DataFrame:
        """Score and rank of every unit in two years of a panel and their changes
        (:func:`mfgindex.panel.change`; warns when the years are not comparable)."""
        from mfgindex.panel import change

        return change(self, from_year, to_year, level=level)

    def __repr__(self) -> str:
        # The dataclass repr would print every array (tens of thousands of characters).
        years = self.provenance.get("years") or []
        span = (
            f", years {years[0]}–{years[-1]}" if len(years) > 1 else (f", year {years[0]}" if years else "")
        )
        return (
            f"<Result {self.framework.id}: {len(self.rows)} rows × {len(self.node_ids)} "
            f"nodes{span}, data {self.data.source}>"
        )

    def _repr_html_(self) -> str:
        """A compact summary for notebooks: framework, data, units and the top 10."""
        from mfgindex.report.notebook import result_html

        return result_html(self)


def _sorted(out: pd.DataFrame, level: str, *, by: str | None, years: bool) -> pd.DataFrame:
    """``out`` best first, per year; with ``by``, the groups strongest first (by their best
    unit's ``level`` score), each group's units best first."""
    keys = (["year"] if years else []) + ([by] if by else []) + ["rank"]
    ascending = [True] * len(keys)
    if by is not None:
        best = out.groupby(keys[:-1], sort=False, dropna=False)[level].transform("max")
        keys.insert(-2, "_best")
        ascending.insert(-2, False)
        out = out.assign(_best=best)
    out = out.sort_values(keys, ascending=ascending, na_position="last", kind="stable")
    return out.drop(columns="_best", errors="ignore")


def _decomposition(spec: str) -> str | None:
    """How the aggregation method ``spec`` decomposes (the registry's trait), or None."""
    from mfgindex.errors import MfgIndexError
    from mfgindex.methods.registry import resolve

    if not spec:
        return None
    try:
        return resolve("aggregate", spec).method.decomposition
    except MfgIndexError:
        return None


class _Steps(Mapping[str, np.ndarray]):
    """The intermediate datasets of a :class:`Result`, read-only: the ones a stage changed,
    held as given, and two made on first access — ``raw`` (the dataset's indicator columns at
    the result's rows: nothing changed them, so no copy is kept) and ``normalized`` (the
    indicator columns of ``score_matrix``). At a million units each of them is the size of the
    input, so keeping them only when they differ is a third of compute's memory."""

    def __init__(
        self, result: Result, stored: Mapping[str, np.ndarray], given: Mapping[str, np.ndarray]
    ) -> None:
        from mfgindex._frozen import read_only

        self._stored = {k: read_only(v) for k, v in stored.items()}
        self._cache = {k: read_only(v) for k, v in given.items()}
        self._result: Any = None

    def bind(self, result: Result) -> _Steps:
        import weakref

        self._result = weakref.ref(result)
        return self

    def _owner(self) -> Result:
        owner = self._result() if self._result is not None else None
        if owner is None:
            raise UsageError("the result these steps belong to no longer exists")
        result: Result = owner
        return result

    def __iter__(self) -> Any:
        yield "raw"
        yield from (k for k in self._stored if k != "raw")
        yield "normalized"

    def __len__(self) -> int:
        return len(self._stored) + 2 - ("raw" in self._stored) - ("normalized" in self._stored)

    def __contains__(self, key: object) -> bool:
        return key in ("raw", "normalized") or key in self._stored

    def __getitem__(self, key: str) -> np.ndarray:
        if key in self._stored:
            return self._stored[key]
        if key not in ("raw", "normalized"):
            raise KeyError(key)
        if key not in self._cache:
            from mfgindex._frozen import read_only

            res = self._owner()
            m = len(res.framework.indicators)
            # normalized: the score matrix's type (float32 in a float32 run)
            out = np.empty((len(res.rows), m), dtype=res.score_matrix.dtype if key == "normalized" else float)
            for j in range(m):
                out[:, j] = self.column(key, j)
            self._cache[key] = read_only(out)
        return self._cache[key]

    def column(self, key: str, j: int) -> np.ndarray:
        """Indicator ``j``'s values as they left step ``key``, without making the whole
        table of a lazy step."""
        if key in self._stored:
            return self._stored[key][:, j]
        if key in self._cache:
            return self._cache[key][:, j]
        res = self._owner()
        ind = res.framework.indicators[j]
        if key == "raw":
            values: np.ndarray = np.array(res.data.column(ind.column), dtype=float)
            return values if len(values) == len(res.rows) and _all_rows(res.rows) else values[res.rows]
        if key == "normalized":
            return res.score_matrix[:, res.node_ids.index(ind.id)]
        raise KeyError(key)


def _all_rows(rows: np.ndarray) -> bool:
    """Whether ``rows`` is ``0, 1, …, len - 1`` (every row of the dataset, in order)."""
    return bool(rows.size == 0 or (rows[0] == 0 and rows[-1] == rows.size - 1 and np.all(np.diff(rows) == 1)))
