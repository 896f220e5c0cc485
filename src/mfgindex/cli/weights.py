"""The ``weights`` command: the weights each group gives its children under a weight method."""

from typing import Annotated

import typer

from mfgindex.cli.common import (
    NO_METHODS,
    DataArg,
    EncodingOpt,
    FormatOpt,
    FrameworkOpt,
    HeadersOpt,
    LangOpt,
    MethodChoices,
    OutputOpt,
    RoundOpt,
    YearOpt,
    check_lang,
    emit,
    load,
    resolve_format,
    user_errors,
    with_method_options,
)

MethodOpt = Annotated[
    str | None,
    typer.Option(
        "--method",
        "-m",
        help="Weight method string for every group, e.g. 'entropy', "
        "'critic(correlation=spearman)', 'ahp'; default: the framework's choices.",
        rich_help_panel="Methods",
    ),
]


@with_method_options(exclude=("weights",))
def weights(
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    method: MethodOpt = None,
    year: YearOpt = None,
    fmt: FormatOpt = None,
    output: OutputOpt = None,
    lang: LangOpt = "en",
    headers: HeadersOpt = None,
    encoding: EncodingOpt = None,
    round_to: RoundOpt = None,
    methods: MethodChoices = NO_METHODS,
) -> None:
    """Derived weights per node: each group's child weights (AHP's consistency, entropy, ...).

    Data-driven methods weigh children by their normalised values: the weights `score` would use.
    Columns: framework = the framework's share; weight = the derived share; global = share of
    the index (综合权重); lambda_max, ci, cr = AHP's consistency (mfgindex.weights_report).
    """
    from mfgindex.i18n import column_labels
    from mfgindex.pipeline import compute
    from mfgindex.weights_report import weight_shares

    with user_errors():
        check_lang(lang)
        out_fmt = resolve_format(fmt, output)
        from mfgindex.cli.common import check_options, check_output

        check_options({"weights": method})  # notes a judgements file it names as an input
        fw, ds = load(framework, data)
        check_output(output, data, framework)  # -o onto any input: exit 2 before computing
        res = compute(fw, ds, year=year, weights=method, **methods.options())
        frame = weight_shares(res, lang=lang)
        from mfgindex.io import run_inputs

        protect = run_inputs(res.framework, res.data)
        emit(
            frame,
            fmt=out_fmt,
            output=output,
            provenance=res.provenance,
            protect=protect,
            title=f"{fw.root.label(lang)} — {'权重' if lang == 'zh' else 'weights'}",
            digits=4,
            labels=column_labels(fw, frame.columns, lang),
            headers=headers,
            encoding=encoding,
            round_to=round_to,
            first=["weight", "global"],
        )


def register(app: typer.Typer) -> None:
    app.command()(weights)
