"""The ``mfgindex`` command line (the README): thin — parse, call the library, render."""


def main() -> None:
    """Console-script entry point."""
    from mfgindex.cli.app import run

    run()
