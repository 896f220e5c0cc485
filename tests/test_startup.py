"""Start-up imports nothing heavy: building the whole command line (what ``mfgindex --help``
does) and loading a framework need neither pandas nor scipy nor any extra; they are imported
by the command that uses them."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("pandas", "scipy", "matplotlib", "jinja2", "rich", "pydantic", "pyarrow", "openpyxl", "dask")


def _imported_after(code: str) -> list[str]:
    probe = f"""
import json, sys
{code}
print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))
"""
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    found: list[str] = json.loads(out.stdout.strip().splitlines()[-1])
    return found


def test_building_the_cli_imports_nothing_heavy() -> None:
    code = "import typer.main\nfrom mfgindex.cli.app import get_app\ntyper.main.get_command(get_app())"
    assert _imported_after(code) == []


def test_loading_a_framework_needs_no_pandas_or_scipy() -> None:
    # the registry's method facts (names, parameters, traits) are read without them
    code = "import mfgindex as mi\nmi.load_framework('city')\nmi.list_methods()"
    assert _imported_after(code) == []


def test_dir_lists_the_public_api_before_first_use() -> None:
    code = "import mfgindex as mi\nprint(sorted(set(mi.__all__) - set(dir(mi))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def _after_command(*args: str) -> str:
    """Code that runs ``mfgindex ARGS`` in this process, as the console script does."""
    return (
        f"import sys\nsys.argv = ['mfgindex', *{list(args)!r}]\n"
        "from mfgindex.cli import main\ntry:\n    main()\nexcept SystemExit:\n    pass"
    )


def test_rank_on_the_default_methods_imports_only_pandas() -> None:
    # no pydantic: typer's own coercion builds a TypeAdapter per parameter (cli/coercion.py);
    # no rich: its messages go to a pipe (cli/common.py print_plain_err); no scipy: the
    # default methods need none; pyarrow is pandas' own
    found = _imported_after(_after_command("rank", "--top", "3", "--format", "csv", "--round", "2"))
    assert found == ["pandas", "pyarrow"] or found == ["pandas"]


def test_a_command_imports_its_own_command_module_only() -> None:
    probe = _after_command("rank", "--top", "1", "--format", "csv") + (
        "\nimport json\nprint(json.dumps(sorted(m for m in sys.modules if m.startswith('mfgindex.cli.'))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    loaded = json.loads(out.stdout.strip().splitlines()[-1])
    own = ["app", "coercion", "common", "console", "scale", "scoring"]  # not "table": no table is printed
    assert loaded == [f"mfgindex.cli.{m}" for m in own]
