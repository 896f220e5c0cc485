"""Chinese labels, terms and messages (``--lang zh``).

The library speaks English; this module is the one place that knows the Chinese words: column
headers of the output tables (城市代码, 名称, 创新能力, …, 综合指数, 排名, 发展阶段), the terms
Chinese papers use (正向指标 / 逆向指标, 基准排名, 综合权重, 第8名（共296个）) and the
translation of the common warnings, errors and hints. Messages without a translation stay in
English, so nothing is ever lost.

Examples
--------
>>> from mfgindex.i18n import rank_text, translate
>>> rank_text(8, 296, "zh")
'第8名（共296个）'
>>> rank_text(8, 296, "en")
'rank 8 of 296'
>>> translate("indicator 'exports': low coverage: data for 186 of 296 units (63%)", "zh")
"指标 'exports'：覆盖率低：296 个单元中只有 186 个有数据（63%）"
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from mfgindex.framework import Framework

__all__ = [
    "Lang",
    "column_labels",
    "rank_text",
    "term",
    "translate",
    "unit_header",
]


class Lang(StrEnum):
    """The languages of labels and messages."""

    en = "en"
    zh = "zh"


#: Words of the output tables' columns and of the CLI's messages, in Chinese.
TERMS_ZH: Mapping[str, str] = {
    # columns of rank / score / explain / weights / uncertainty tables
    "name": "名称",
    "year": "年份",
    "rank": "排名",
    "stage": "发展阶段",
    "index": "综合指数",
    "province": "省份",
    "city_type": "城市类型",
    "coverage": "覆盖率",
    "missing_groups": "缺失维度",
    "group": "上级",
    "node": "节点",
    "label": "名称",
    "parent": "上级",
    "depth": "层级",
    "score": "得分",
    "contribution": "贡献",
    "framework": "框架权重",
    "weight": "权重",
    "global": "综合权重",
    "method": "方法",
    "lambda_max": "最大特征值",
    "ci": "一致性指标CI",
    "cr": "一致性比率CR",
    "nominal_rank": "基准排名",
    "median_rank": "排名中位数",
    "q05_rank": "5%分位排名",
    "q95_rank": "95%分位排名",
    "mean_abs_shift": "平均排名变动",
    "input": "输入",
    "first_order": "一阶指数",
    "total_order": "总效应指数",
    "direction": "指标方向",
    "positive": "正向指标",
    "negative": "逆向指标",
    # words of messages
    "warning": "警告",
    "error": "错误",
    "usage error": "用法错误",
    "internal error": "内部错误",
    "hint": "提示",
    "note": "注意",
    "wrote": "已写入",
    "more columns": "另有 {n} 列未显示（{cols}）：加宽终端，或用 --format csv / -o 文件 查看全部",
}

#: English words where a column's id is not what a reader wants to see.
TERMS_EN: Mapping[str, str] = {
    "index": "index",
    "positive": "positive (higher is better)",
    "negative": "negative (lower is better)",
    "more columns": "{n} more column(s) not shown ({cols}): widen the terminal, or use "
    "--format csv / -o FILE for all",
}

#: The unit id column's Chinese header, by the framework's ``unit`` noun.
_UNIT_ZH = {
    "city": "城市代码",
    "park": "园区代码",
    "zone": "园区代码",
    "country": "国家代码",
    "province": "省份代码",
    "region": "地区代码",
    "firm": "企业代码",
}


def term(word: str, lang: str = "en", **fields: object) -> str:
    """The ``lang`` word for ``word`` (a key of :data:`TERMS_ZH`), formatted with ``fields``.

    >>> term("stage", "zh")
    '发展阶段'
    >>> term("stage", "en")
    'stage'
    """
    table = TERMS_ZH if lang == "zh" else TERMS_EN
    text = table.get(word, word)
    return text.format(**fields) if fields else text


def rank_text(rank: float | int | None, n: int, lang: str = "en") -> str:
    """A rank among ``n`` as Chinese papers write it, 第8名（共296个）, or ``rank 8 of 296``.

    >>> rank_text(None, 296, "zh")
    '未排名'
    """
    if rank is None or rank != rank:  # NaN: not ranked
        return "未排名" if lang == "zh" else "not ranked"
    if lang == "zh":
        return f"第{int(rank)}名（共{n}个）"
    return f"rank {int(rank)} of {n}"


def rank_short(rank: float | int | None, lang: str = "en") -> str:
    """A rank in a list: ``第3名`` or ``#3`` (``–`` when not ranked).

    >>> rank_short(3, "zh"), rank_short(3, "en")
    ('第3名', '#3')
    """
    if rank is None or rank != rank:
        return "–"
    return f"第{int(rank)}名" if lang == "zh" else f"#{int(rank)}"


def unit_header(framework: Framework, lang: str = "en") -> str:
    """The header of the unit id column: the data's column name, or 城市代码 / 园区代码 / … .

    >>> from mfgindex.framework import load_framework
    >>> unit_header(load_framework("city"), "zh")
    '城市代码'
    """
    if lang != "zh":
        return framework.unit_column
    return _UNIT_ZH.get(framework.unit, "代码")


def column_labels(framework: Framework, columns: Iterable[object], lang: str = "en") -> dict[str, str]:
    """Display headers for the columns of an output table (``to_frame``'s columns).

    Under ``lang="zh"``: the unit id column becomes 城市代码 (or 园区代码, …), name columns
    名称, each node its Chinese name, the index 综合指数, ``rank_<node>`` <node>排名 and the
    other known words (``rank``, ``stage``, ``year``, …) their terms. Under ``"en"``: node
    names and ``<node> rank``. Columns without a label keep their id.

    >>> from mfgindex.framework import load_framework
    >>> fw = load_framework("city")
    >>> labels = column_labels(fw, ["city_code", "name", "innovation", "city", "stage"], "zh")
    >>> list(labels.values())
    ['城市代码', '名称', '创新能力', '综合指数', '发展阶段']
    """
    out: dict[str, str] = {}
    names = {c for c in (framework.name_column, framework.name_column_zh) if c}
    for col in columns:
        c = str(col)
        if c == framework.unit_column:
            label = unit_header(framework, lang)
        elif c in names:
            label = term("name", lang)
        elif c == framework.id:
            label = term("index", lang) if lang == "zh" else framework.root.label(lang)
        elif c in framework.nodes:
            label = framework.nodes[c].label(lang)
        elif c.startswith("rank_") and c[5:] in framework.nodes:
            node = c[5:]
            base = term("index", lang) if node == framework.id else framework.nodes[node].label(lang)
            label = f"{base}排名" if lang == "zh" else f"{base} rank"
        elif lang == "zh":
            label = TERMS_ZH.get(c, c)
        else:
            label = c
        out[c] = label
    # two columns must not share a header (a file's columns must stay unique)
    seen: dict[str, int] = {}
    for label in out.values():
        seen[label] = seen.get(label, 0) + 1
    for c, label in out.items():
        if seen[label] > 1:
            out[c] = f"{label} ({c})"
    return out


# -- messages -------------------------------------------------------------------------------

#: (English pattern, Chinese replacement), applied in order to a message's text. Each pattern
#: is a regular expression over a part of a message (a place, a sentence, a hint).
_MESSAGES_ZH: tuple[tuple[str, str], ...] = (
    # diagnostics of a result (Result.diagnostics) and of a data file (validate)
    (
        r"low coverage: data for (\d+) of (\d+) units \((\d+%)\)",
        r"覆盖率低：\2 个单元中只有 \1 个有数据（\3）",
    ),
    (
        r"low coverage: (\d+) unit\(s\) have no score because less than (\d+%) of the weight of "
        r"its children has data: ",
        r"覆盖率低：\1 个单元没有得分，因为其下级指标中有数据的权重不足 \2：",
    ),
    (r"every value is missing", "所有值均缺失"),
    (
        r"constant: every unit has ([^,]+), so it cannot tell units apart",
        r"常数列：每个单元的值都是 \1，无法区分各单元",
    ),
    (r"(\d+%) of the values were imputed \(more than (\d+%)\)", r"\1 的值为插补值（超过 \2）"),
    (
        r"only one unit \(([^)]*)\): minmax, zscore and rank normalisation compare units, so they "
        r"cannot score it",
        r"只有一个单元（\1）：minmax、zscore 和 rank 标准化需要比较多个单元，无法计算",
    ),
    (
        r"(\d+) unit\(s\) are scored and ranked with a whole group missing: ",
        r"\1 个单元在整个维度缺失的情况下仍被计分和排名：",
    ),
    (
        r"their scores rest on the other groups \(the output's missing_groups column names them\): "
        r"impute the missing values \(--impute\), or raise --min-coverage to leave such units "
        r"unscored",
        "其得分只依赖其余维度（输出的“缺失维度”列列出缺失的维度）：请插补缺失值（--impute），"
        "或提高 --min-coverage，不对这类单元计分",
    ),
    # hints of the diagnostics
    (r"fill in the missing values, or impute them \(--impute\)", "补全缺失值，或进行插补（--impute）"),
    (
        r"fill in or impute the missing values \(--impute\), or lower --min-coverage",
        "补全或插补缺失值（--impute），或降低 --min-coverage",
    ),
    (
        r"fill in the column, or remove the indicator from the framework; its group is scored from "
        r"the other indicators",
        "补全该列，或从指标体系中删除该指标；其所在维度按其余指标计算",
    ),
    (r"fill in the column, or remove the indicator from the framework", "补全该列，或从指标体系中删除该指标"),
    (
        r"check the (data|column); minmax and zscore leave a constant indicator out of (its|its "
        r"group's) score",
        "检查数据；minmax 和 zscore 标准化会把常数指标排除在所在维度之外",
    ),
    (
        r"check the data; minmax and zscore leave a constant indicator out of its group's score",
        "检查数据；minmax 和 zscore 标准化会把常数指标排除在所在维度之外",
    ),
    (
        r"scores lean on imputed values: collect more data, or drop the indicator",
        "得分依赖插补值：请收集更多数据，或删除该指标",
    ),
    (r"add units, or normalise against fixed bounds", "增加单元，或按固定上下限标准化"),
    # --strict
    (r"(\d+) warnings, which are errors with --strict", r"\1 条警告（--strict 下视为错误）"),
    (r" \(an error with --strict\)", "（--strict 下视为错误）"),
    (
        r"fix the problems listed, or run without --strict to score anyway",
        "修正所列问题，或去掉 --strict 照常计算",
    ),
    (r"or run without --strict", "或去掉 --strict"),
    (r"(\d+) problems\b", r"\1 个问题"),
    (r"\(and (\d+) more\)", r"（另有 \1 个）"),
    (r" and (\d+) more\b", r" 等（另有 \1 个）"),
    # files, frameworks and methods
    (
        r"no framework file or built-in framework called '([^']*)'\.",
        r"没有名为 '\1' 的指标体系文件或内置指标体系。",
    ),
    (r"built-in frameworks: ", "内置指标体系："),
    (r"; or give the path of a \.toml or COINr iMeta file", "；或给出 .toml 或 COINr iMeta 文件的路径"),
    (r"file not found", "文件不存在"),
    (r"check the path and its spelling", "请检查路径及其拼写"),
    (r"a data file needs a header row and one row per unit", "数据文件需要一行表头，每个单元一行"),
    (
        r"run `mfgindex methods` to list every method and its parameters",
        "运行 `mfgindex methods` 查看所有方法及其参数",
    ),
    (
        r"run `mfgindex methods` to see what '([^']*)' accepts",
        r"运行 `mfgindex methods` 查看 '\1' 接受的参数",
    ),
    (
        r"method '([^']*)' has no parameter '([^']*)' \(its parameters: ([^)]*)\)\.",
        r"方法 '\1' 没有参数 '\2'（其参数：\3）。",
    ),
    (
        r"save the file as UTF-8 CSV \(Excel: 'CSV UTF-8 \(Comma delimited\)'\), or as \.xlsx",
        "请将文件另存为 UTF-8 CSV（Excel：“CSV UTF-8（逗号分隔）”）或 .xlsx",
    ),
    (r"save the file again as CSV UTF-8", "请将文件重新另存为 CSV UTF-8"),
    (r"rename the columns so each name appears once", "请重命名各列，使每个列名只出现一次"),
    (r"pip install 'mfgindex\[(\w+)\]'", r"请安装：pip install 'mfgindex[\1]'"),
    (r"score a panel without --year, or choose one of its years", "不加 --year 计算整个面板，或选择其中一年"),
    (
        r"missing indicator columns: the header has none of the columns framework '([^']*)' needs",
        r"缺少指标列：表头中没有指标体系 '\1' 需要的任何列",
    ),
    (r"the header read is: ", "读到的表头："),
    (
        r"; or is this data for another framework than '([^']*)' \(-f\)\?",
        r"；或者这份数据属于 '\1' 以外的指标体系（-f）？",
    ),
    (r"no unit id column '([^']*)'\.", r"没有单元代码列 '\1'。"),
    (r"the file is empty", "文件为空"),
    (r"the table is empty", "表格为空"),
    (r"duplicate column name\(s\): ", "重复的列名："),
    (r"the same unit, year and indicator appear twice", "同一单元、年份和指标出现了两次"),
    (r"missing indicator column '([^']*)' \(indicator '([^']*)'\)\.", r"缺少指标列 '\1'（指标 '\2'）。"),
    (r"add the column, or fix the column name in the framework", "添加该列，或修改指标体系中的列名"),
    (
        r"The '(\w+)' method must be one of \{([^}]*)\}\. Got '([^']*)' instead\.",
        r"'\1' 方法必须是 {\2} 之一，而不是 '\3'。",
    ),
    (r" ?Did you mean '([^']*)'\?", r" 您是否要找 '\1'？"),
    (r"no unit '([^']*)' in the result\.", r"结果中没有单元 '\1'。"),
    (r"'([^']*)' is the name of (\d+) units: ", r"'\1' 是 \2 个单元的名称："),
    (r"give the unit's id", "请给出单元代码"),
    (r"give an id from column '([^']*)' or a unit's exact name", r"请给出 '\1' 列中的代码，或单元的准确名称"),
    (r"give an id from column '([^']*)'", r"请给出 '\1' 列中的代码"),
    (r"is not a node of framework '([^']*)'\.", r"不是指标体系 '\1' 的节点。"),
    (r"no unit could be scored on index '([^']*)'", r"没有单元能算出指数 '\1' 的得分"),
    (r"must be at least 1, got (-?\d+)", r"至少为 1，而不是 \1"),
    (r"must be a share between 0 and 1, got ([-\d.e]+)", r"必须是 0 到 1 之间的比例，而不是 \1"),
    # output files
    (
        r"this is an input of the run \(data or framework\); refusing to overwrite it",
        "这是本次运行的输入文件（数据或指标体系），不会覆盖它",
    ),
    (r"choose another output file with -o", "请用 -o 另选输出文件"),
    (r"the output folder does not exist", "输出文件夹不存在"),
    (r"create the folder first, or choose another -o path", "请先创建文件夹，或另选 -o 路径"),
    (r"is a folder, not a file", "是文件夹，不是文件"),
    (r"cannot tell the output format from '([^']*)'", r"无法从 '\1' 判断输出格式"),
    (r"--format (\w+) writes a binary file: give -o FILE", r"--format \1 写出二进制文件：请给出 -o 文件"),
    # notes
    (r"screening removed (\d+) unit\(s\): ", r"筛选删除了 \1 个单元："),
    (r"out of memory", "内存不足"),
    # places (Problem.where): "indicator 'x', year 2019", "row 7, column 'gdp'"
    (r"\bindicator '", "指标 '"),
    (r"\bgroup '", "维度 '"),
    (r"\bindex '", "指数 '"),
    (r", years ([\d–, ]+\d): ", r"，\1年："),
    (r", year (\d+): ", r"，\1年："),
    (r"\brow (\d+)", r"第\1行"),
    (r"\bcolumn '", "列 '"),
    (r"': ", "'："),
)


@functools.cache
def _compiled_zh() -> tuple[tuple[re.Pattern[str], str], ...]:
    # compiled on first use: ``mfgindex --help`` should not pay for it
    return tuple((re.compile(p), r) for p, r in _MESSAGES_ZH)


def translate(text: str, lang: str = "en") -> str:
    """``text`` (a warning, error or hint of mfgindex) in ``lang``.

    Known sentences and places are translated; the rest (ids, numbers, file names and
    sentences without a translation) is kept as it is.

    >>> translate("group 'green', year 2019: every value is missing", "zh")
    "维度 'green'，2019年：所有值均缺失"
    """
    if lang != "zh" or not text:
        return text
    for pattern, replacement in _compiled_zh():
        text = pattern.sub(replacement, text)
    return text
