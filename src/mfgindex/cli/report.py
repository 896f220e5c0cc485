"""``mfgindex report``: a self-contained HTML report of an index, like the CCID release."""

import time
from pathlib import Path
from typing import Annotated

import typer

from mfgindex.cli.common import (
    NO_METHODS,
    DataArg,
    FrameworkOpt,
    MethodChoices,
    StrictOpt,
    YearOpt,
    check_lang,
    err_console,
    user_errors,
    with_method_options,
)
from mfgindex.cli.plot import FigureLangOpt


@with_method_options()
def report(
    data: DataArg = None,
    framework: FrameworkOpt = "city",
    output: Annotated[Path, typer.Option("--output", "-o", help="The HTML file to write.")] = Path(
        "report.html"
    ),
    lang: FigureLangOpt = "en",
    top: Annotated[int, typer.Option("--top", help="Length of the ranked list.")] = 100,
    unit: Annotated[
        list[str] | None, typer.Option("--unit", help="Add a profile of this unit (id or name; repeatable).")
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by", help="Unit column of the distribution section (default: province, zone_type or region)."
        ),
    ] = None,
    uncertainty: Annotated[
        Path | None, typer.Option("--uncertainty", help="Uncertainty spec (TOML): adds rank intervals.")
    ] = None,
    vary: Annotated[
        list[str] | None,
        typer.Option(
            "--vary", help="KEY=VALUE over the uncertainty spec (repeatable; alone it is the spec)."
        ),
    ] = None,
    runs: Annotated[int, typer.Option(help="Monte Carlo runs of the robustness section.")] = 500,
    seed: Annotated[int, typer.Option(help="Random seed of the robustness section.")] = 0,
    no_figures: Annotated[bool, typer.Option("--no-figures", help="Leave the figures out.")] = False,
    year: YearOpt = None,
    strict: StrictOpt = False,
    methods: MethodChoices = NO_METHODS,
) -> None:
    """A self-contained HTML report: headline and top 10, the ranked list with dimension scores,
    ranks and stages, the stage distribution, units per province (or zone type), the leaders of
    each dimension, unit profiles, coherence, robustness and an appendix of methods and
    provenance. Opens offline; print it from a browser for a PDF."""
    from mfgindex.cli.plot import _figure_warnings

    with user_errors():
        check_lang(lang)
        from mfgindex.report.build import check_target

        if str(output) != "-":  # ("-" is said as such with the other outputs' checks)
            check_target(output)  # before matplotlib and the run: a wrong suffix costs nothing
        import mfgindex.plot as mp
        from mfgindex.report import build, write

        mp.require()
        start = time.perf_counter()
        with _figure_warnings():
            from mfgindex.cli.scoring import _compute

            res = _compute(framework, data, strict=strict, output=output, year=year, **methods.options())
            spread = None
            if uncertainty is not None or vary:
                import mfgindex.robustness as rb

                spec = rb.read_spec(uncertainty, res.framework, overrides=vary or ())
                base = {k: v for k, v in methods.options().items() if v is not None}
                spread = rb.uncertainty(
                    res.framework, res.data, spec, runs=runs, seed=seed, year=year, **base
                )
            html = build(
                res,
                lang=lang,
                top=top,
                units=unit or [],
                by=by,
                uncertainty=spread,
                figures=not no_figures,
                year=year,
            )
        from mfgindex.io import run_inputs

        protect = run_inputs(res.framework, res.data, (uncertainty, "uncertainty spec"))
        written = write(html, output, protect=protect)
        size = written.stat().st_size
        err_console().print(
            f"wrote {written} ({size / 1024:.0f} KB, {time.perf_counter() - start:.1f} s)",
            markup=False,
            highlight=False,
        )


def register(app: typer.Typer) -> None:
    app.command()(report)
