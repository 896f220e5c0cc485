"""typer's test runner with each app's click command built once, not on every ``invoke``.

``typer.testing.CliRunner.invoke(app, ...)`` turns the typer app into its click command on
every call: for mfgindex's 21 commands that is about 20 ms, and the suite invokes the app some
650 times (2/3 of the bad-input corpus' time in its driver). A click command is made to be
invoked many times (click's own test runner is always used on one command object): every
invocation parses into a new context, and the command keeps no state of its own. So the
command of an app is built once and reused; it is built again when the app's registered
commands, groups or callback change. Installed by ``tests/conftest.py`` and by the bad-input
driver; the console script and ``python -m mfgindex`` still build theirs as a user's run does.
"""

from __future__ import annotations

from typing import Any

import typer.main
import typer.testing

_build = typer.main.get_command
#: id(app) -> (app, what its command was built from, the command); the app is kept so that
#: its id is not reused by another app.
_BUILT: dict[int, tuple[typer.Typer, tuple[Any, ...], Any]] = {}


def _registered(app: typer.Typer) -> tuple[Any, ...]:
    return (
        tuple(map(id, app.registered_commands)),
        tuple(map(id, app.registered_groups)),
        id(app.registered_callback),
        id(app.info),
    )


def command_of(app: typer.Typer) -> Any:
    """The click command of ``app``, built on first use and when its registrations change."""
    state = _registered(app)
    hit = _BUILT.get(id(app))
    if hit is not None and hit[0] is app and hit[1] == state:
        return hit[2]
    command = _build(app)
    _BUILT[id(app)] = (app, state, command)
    return command


def install() -> None:
    """Make ``typer.testing.CliRunner`` use :func:`command_of`.

    typer's runner looks its builder up as the module's ``_get_command``; in a typer without
    that name nothing is replaced (each invoke builds the command again, slower but the same).
    """
    if getattr(typer.testing, "_get_command", None) is _build:
        typer.testing._get_command = command_of  # type: ignore[attr-defined]
