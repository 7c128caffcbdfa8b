"""Root pytest configuration: applies to the tests and to the docstring examples."""

from importlib.util import find_spec

import pytest

# The docstring examples of focal_gbm/onnx.py need the ONNX libraries (the test
# extra installs them); a checkout without them still runs every other test.
collect_ignore = []
if not all(find_spec(name) for name in ("onnxmltools", "skl2onnx", "onnxruntime")):
    collect_ignore.append("focal_gbm/onnx.py")


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
