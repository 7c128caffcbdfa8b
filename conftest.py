"""Root pytest configuration: applies to the tests and to the docstring examples."""

import pytest


class _QuietLogger:
    """LightGBM 4.0 prints some warnings even with verbose=-1; doctests compare stdout."""

    def info(self, msg):
        pass

    def warning(self, msg):
        pass


@pytest.fixture(autouse=True)
def _quiet_lightgbm():
    try:
        import lightgbm
    except ImportError:
        yield
        return
    lightgbm.register_logger(_QuietLogger())
    yield
