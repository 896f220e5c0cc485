"""Commands about frameworks and methods: frameworks, show, methods."""

from enum import StrEnum
from typing import Annotated, Any

import typer

from mfgindex.cli.common import LangOpt, check_lang, out_console, user_errors
from mfgindex.methods.registry import STAGES


class ShowFormat(StrEnum):
    """``show --format``: the tree, or the framework file to start your own from."""

    tree = "tree"
    toml = "toml"


#: ``methods --stage``: the registry's stages, so typer checks the choice.
StageChoice = StrEnum("StageChoice", {s: s for s in STAGES})  # type: ignore[misc]


def frameworks() -> None:
    """List the built-in frameworks."""
    from rich.table import Table

    from mfgindex.framework import builtin_frameworks, load_framework

    with user_errors():
        table = Table(header_style="bold")
        for col in ("id", "name", "indicators", "groups", "bundled dataset"):
            # only the name may wrap on a narrow terminal: ids and file names stay whole
            table.add_column(
                col, no_wrap=col != "name", justify="right" if col in {"indicators", "groups"} else "left"
            )
        for fid in builtin_frameworks():
            fw = load_framework(fid)
            table.add_row(
                fid,
                fw.name,
                str(len(fw.indicators)),
                str(len(fw.groups) - 1),
                fw.dataset.name if fw.dataset else "–",
            )
        out_console().print(table)


#: The words of ``show``, in each --lang.
_SHOW_WORDS = {
    "en": {
        "defaults": "defaults",
        "weight": "weight",
        "higher": "↑ higher is better",
        "lower": "↓ lower is better",
        "transform": "transform",
        "stages": "stages",
    },
    "zh": {
        "defaults": "默认方法",
        "weight": "权重",
        "higher": "↑ 正向指标",
        "lower": "↓ 逆向指标",
        "transform": "变换",
        "stages": "发展阶段",
    },
}


def show(
    framework: Annotated[str, typer.Argument(help="Built-in id or framework file.")] = "city",
    lang: LangOpt = "en",
    fmt: Annotated[
        ShowFormat,
        typer.Option(
            "--format",
            help="tree, or toml: the framework file itself, to start your own from "
            "(mfgindex show city --format toml > my_city.toml).",
        ),
    ] = ShowFormat.tree,
) -> None:
    """Show a framework's tree: weights, directions, methods."""
    from rich.markup import escape
    from rich.tree import Tree

    from mfgindex.framework import Indicator, load_framework

    with user_errors():
        check_lang(lang)
        words = _SHOW_WORDS[lang]
        from mfgindex.examples import bundled_or_given

        fw = load_framework(bundled_or_given(framework))  # "ASEM_iMeta.csv" in any folder
        if fmt == ShowFormat.toml:
            _print_toml(fw)
            return
        root = fw.root
        head = f"[bold]{escape(root.label(lang))}[/] ({escape(fw.id)})"
        if fw.version:  # "v2019.1", but "HDR2023-24" as it is
            head += f" {'v' if fw.version[:1].isdigit() else ''}{escape(fw.version)}"
        defaults = ", ".join(f"{k}={v}" for k, v in fw.defaults.items())
        tree = Tree(head + (f"\n[dim]{words['defaults']}: {escape(defaults)}[/]" if defaults else ""))

        def add(branch: Tree, node_id: str) -> None:
            for cid in fw.children(node_id):
                node = fw.nodes[cid]
                label = (
                    f"{escape(node.label(lang))} [dim]({escape(cid)})[/] {words['weight']} {node.weight:g}"
                )
                if isinstance(node, Indicator):
                    extra = [words["higher"] if node.direction > 0 else words["lower"]]
                    if node.unit:
                        extra.append(node.unit)
                    if node.denominator:
                        extra.append(f"÷ {node.denominator}")
                    if node.transform:
                        extra.append(f"{words['transform']} {node.transform}")
                    if node.normalize:
                        extra.append(node.normalize)
                    branch.add(label + f" [dim]{escape(' · '.join(extra))}[/]")
                else:
                    sub = branch.add(
                        f"[bold]{label}[/]" + (f" [dim]{escape(node.aggregate)}[/]" if node.aggregate else "")
                    )
                    add(sub, cid)

        add(tree, fw.id)
        if fw.stages:
            labels = fw.stages.labels_zh if lang == "zh" and fw.stages.labels_zh else fw.stages.labels
            tree.add(
                f"[italic]{words['stages']}[/]: {escape(fw.stages.method)} → {escape(' / '.join(labels))}"
            )
        out_console().print(tree)


def _print_toml(fw: Any) -> None:
    """Print the framework's TOML file as it is (comments kept): a working file to edit."""
    import sys

    from mfgindex.errors import UsageError

    path = fw.path
    if path is None or path.suffix.lower() != ".toml":
        raise UsageError(
            f"framework '{fw.id}' was not read from a TOML file, so there is no file to print",
            where="--format toml",
            hint="writing a COINr iMeta table as TOML is not supported yet; "
            "`mfgindex show city --format toml` gives a TOML file to adapt",
        )
    sys.stdout.write(path.read_text(encoding="utf-8"))


def methods(
    stage: Annotated[StageChoice | None, typer.Option(help="Only this stage.", show_default=False)] = None,
) -> None:
    """List every registered method and its parameters."""
    from rich.table import Table

    from mfgindex.methods.registry import methods as all_methods

    with user_errors():
        table = Table(header_style="bold")
        for col in ("stage", "method", "parameters", "what it does"):
            table.add_column(col)
        for m in all_methods(None if stage is None else str(stage)):
            # the summary is the docstring's first line: drop its reST literal marks
            table.add_row(m.stage, m.name, m.describe_params(), m.summary.replace("``", ""))
        out_console().print(table)


def register(app: typer.Typer) -> None:
    app.command()(frameworks)
    app.command()(show)
    app.command()(methods)
