"""Sphinx configuration of focal-gbm's documentation site.

Build (warnings are errors, as in CI):

    pip install -e ".[docs]"
    python -m sphinx -W --keep-going -b html docs docs/_build/html

then open docs/_build/html/index.html.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MPLBACKEND", "Agg")

import focal_gbm  # noqa: E402

project = "focal-gbm"
author = "The focal-gbm developers"
copyright = "2026, The focal-gbm developers"
release = version = focal_gbm.__version__

extensions = [
    "myst_parser",
    "numpydoc",
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    # MathJax shipped with the site: formulas render offline too.
    "sphinx-mathjax-offline",
    "sphinx_gallery.gen_gallery",
    "sphinxarg.ext",
]

source_suffix = {".md": "markdown", ".rst": "restructuredtext"}
exclude_patterns = ["_build", "gallery/*.ipynb", "gallery/*.py", "gallery/*.md5",
                    "gallery/*.json", "gallery/*.zip"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist"]
myst_heading_anchors = 3

# The API reference: one page per public name, from the numpydoc docstrings.
autosummary_generate = True
autodoc_default_options = {"members": True, "inherited-members": False}
autodoc_typehints = "none"  # numpydoc's Parameters sections say it
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_xref_param_type = False
# The estimators subclass XGBClassifier / LGBMClassifier: document what they
# define, not every inherited booster method.
autodoc_inherit_docstrings = False

sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "gallery",
    "filename_pattern": r"/plot_",
    # Needs a Dask cluster of its own: shown, not run (tests/test_dask.py runs it).
    "ignore_pattern": r"dask_cluster\.py",
    "download_all_examples": False,
    "remove_config_comments": True,
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "show_memory": False,
    "min_reported_time": 10**6,
}

html_theme = "pydata_sphinx_theme"
html_title = "focal-gbm"
html_static_path = []
html_theme_options = {
    "navbar_align": "left",
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
}
html_sidebars = {"index": [], "getting_started": []}
html_show_sourcelink = False

# The benchmark results are generated Markdown included as they are: their
# own heading levels need not nest under the page's.
suppress_warnings = ["myst.header", "myst.domains"]
templates_path = ["_templates"]

# BENCHMARKS.md links its results files, which this site includes on the
# benchmarks page: point those links at the included sections instead.
_RESULTS_LINK = re.compile(r"\]\(benchmarks/results/(\w+)\.(?:md|png)\)")


def _link_results_to_sections(app, relative_path, parent_docname, content):
    if relative_path.name == "BENCHMARKS.md":
        content[0] = _RESULTS_LINK.sub(lambda m: f"](#results-{m.group(1)})", content[0])


def _skip_request_methods(app, what, name, obj, skip, options):
    # scikit-learn's metadata-routing setters (set_fit_request, ...) are
    # generated on every estimator class; their docstrings are scikit-learn's.
    if name.startswith("set_") and name.endswith("_request"):
        return True
    return None


def setup(app):
    app.connect("include-read", _link_results_to_sections)
    app.connect("autodoc-skip-member", _skip_request_methods)
