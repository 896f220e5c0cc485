"""Score a framework of your own on a subset of units, then write the result.

Run: python examples/custom/run_custom.py [OUTPUT_FOLDER]
The framework file (yrd_innovation.toml) sits beside this script; the data are the bundled
2019 city statistics, restricted here to the Yangtze River Delta (Shanghai, Jiangsu, Zhejiang,
Anhui) with pandas before scoring.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import pandas as pd

import mfgindex as mi

HERE = Path(__file__).resolve().parent


def main(out_dir: Path) -> None:
    fw = mi.load_framework(HERE / "yrd_innovation.toml")
    assert fw.dataset is not None
    cities = pd.read_csv(fw.dataset, dtype={"city_code": str})
    yrd = cities[cities["province"].isin(["上海市", "江苏省", "浙江省", "安徽省"])]
    data = mi.Dataset.from_frame(yrd, fw, source="city_2019.csv (YRD subset)")
    res = mi.compute(fw, data)
    table = res.to_frame(sort=True, lang="zh")
    print(table.head(10).to_string(index=False))
    print(f"\n{len(table)} cities; stages: {table['stage'].value_counts().to_dict()}")
    out_dir.mkdir(parents=True, exist_ok=True)
    mi.write(res, str(out_dir / "yrd.json"))
    print(f"wrote {out_dir / 'yrd.json'}")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp(prefix="mfgindex-")))
