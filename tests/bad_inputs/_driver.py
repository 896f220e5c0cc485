"""Runs bad-input cases through the command line in one process (for test_bad_inputs).

``python -m tests.bad_inputs._driver CASES.json RESULTS.json``: each case is ``{"name", "argv",
"cwd"}``; it is run by typer's test runner against the real application, in its own working
folder, and its exit code, stdout and stderr are recorded. An exception that escapes the
application (a bug that a user would see as a traceback) is recorded as a traceback on stderr.
"""

from __future__ import annotations

import json
import os
import sys
import traceback


def main(cases_path: str, results_path: str) -> None:
    os.environ.update({"COLUMNS": "200", "NO_COLOR": "1", "PYTHONWARNINGS": "ignore"})
    import warnings

    warnings.simplefilter("ignore")
    from typer.testing import CliRunner

    from mfgindex.cli.app import get_app
    from tests._typer_once import install

    install()  # the app's click command built once for all the cases

    app = get_app()
    with open(cases_path, encoding="utf-8") as fh:
        cases = json.load(fh)
    out = {}
    for case in cases:
        os.chdir(case["cwd"])
        result = CliRunner().invoke(app, case["argv"], catch_exceptions=True)
        stderr = result.stderr
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            stderr += "Traceback (most recent call last):\n" + "".join(
                traceback.format_exception(result.exception)
            )
        out[case["name"]] = {"code": result.exit_code, "stdout": result.stdout, "stderr": stderr}
    with open(results_path, "w", encoding="utf-8") as fh:
        json.dump(out, fh)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
