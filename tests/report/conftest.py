"""The figure tests' shared results (computed once per session)."""

from tests.plot.conftest import city, city_panel, city_uncertainty, cjk  # noqa: F401
