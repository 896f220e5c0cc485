"""Rebuild every bundled dataset, built-in framework file and golden fixture derived from shared data.

Runs, in order (each script is documented at its top and can also be run on its own):

* derive_hdi.py — examples/data/hdi_2022.csv and tests/golden/hdi/ (from hdi/, UNDP HDRO);
* derive_asem.py — examples/data/asem_2018.csv, indicators/asem.toml and tests/golden/asem/
  (from asem/, COINr, MIT);
* derive_city.py — examples/data/city_2019.csv (from china_cities/);
* derive_city_panel.py — examples/data/city_panel.csv, the same cities 2012–2019 (from china_cities/,
  with derive_city.py's joins);
* derive_park.py — examples/data/park_2021.csv, the 375 national zones (from china_zones/,
  china_designations/ and city_2019.csv; needs cpca==0.5.5 and pypinyin==0.55.0);
* make_park_synthetic.py — examples/data/park_fiveforces_synthetic_demo.csv, synthetic and seeded
  (only the type/province mix and area spread come from china_zones/).

The hand-written frameworks indicators/hdi.toml, city.toml, park.toml and park-fiveforces.toml are
not generated.
Paths are relative to the repository root; the shared data folder is expected beside it
(``<root>/../shared/data``). No arguments; deterministic; re-runnable:
``python examples/data/derive.py``. SOURCE_*.md beside each file give attribution and units.
"""

from __future__ import annotations

import runpy
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = [
    "derive_hdi.py",
    "derive_asem.py",
    "derive_city.py",
    "derive_city_panel.py",
    "derive_park.py",
    "make_park_synthetic.py",
]


def main() -> None:
    for name in SCRIPTS:
        print(f"== {name}")
        runpy.run_path(str(HERE / name), run_name="__main__")


if __name__ == "__main__":
    main()
