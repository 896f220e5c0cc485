"""The ``mfgindex`` command line (DESIGN §8): thin — parse, call the library, render."""


def main() -> None:
    """Console-script entry point."""
    from mfgindex.cli.app import run

    run()
