"""Make the figures the README shows (docs/img/*.png) from the bundled city data.

Run from the repository root after `pip install -e ".[plot]"`:

    python docs/make_figures.py

The same figures come from the command line:

    mfgindex plot bar --top 15 -o docs/img/city-bar.png
    mfgindex plot stages --lang zh -o docs/img/city-stages-zh.png
"""

from __future__ import annotations

from pathlib import Path

import mfgindex as mi
import mfgindex.plot as mp

OUT = Path(__file__).resolve().parent / "img"


def main() -> None:
    fw = mi.load_framework("city")
    res = mi.compute(fw, mi.read_data(None, fw))
    OUT.mkdir(exist_ok=True)
    written = [
        mp.save(mp.bar(res, top=15), OUT / "city-bar.png"),
        mp.save(mp.stages(res, lang="zh"), OUT / "city-stages-zh.png"),
    ]
    for path in written:
        print(f"wrote {path.relative_to(OUT.parent.parent)}")


if __name__ == "__main__":
    main()
