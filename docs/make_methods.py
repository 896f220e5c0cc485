"""Regenerate docs/methods.md from the method registry: python docs/make_methods.py"""

from pathlib import Path

from mfgindex.methods.registry import reference_markdown

if __name__ == "__main__":
    target = Path(__file__).with_name("methods.md")
    target.write_text(reference_markdown(), encoding="utf-8")
    print(f"wrote {target}")
