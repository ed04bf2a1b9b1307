"""Sphinx configuration for the servicecore documentation."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE / "_ext"))

project = "servicecore"
author = "servicecore developers"
copyright = "2026, servicecore developers"

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
    "sphinx.ext.intersphinx",
    "myst_nb",
    "lifecycle_tables",
    "command_tables",
]

napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_ivar = True
autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_default_options = {"members": True, "show-inheritance": True}

# Links point to the public docs, but the inventories are read from files kept in the repo
# (docs/_inventories/README.md says where each comes from), so the build never opens the network.
INVENTORIES = HERE / "_inventories"
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", str(INVENTORIES / "python.inv")),
    "attrs": ("https://www.attrs.org/en/stable", str(INVENTORIES / "attrs.inv")),
    "cattrs": ("https://catt.rs/en/stable", str(INVENTORIES / "cattrs.inv")),
    "sqlalchemy": ("https://docs.sqlalchemy.org/en/20", str(INVENTORIES / "sqlalchemy.inv")),
    "pandas": ("https://pandas.pydata.org/docs", str(INVENTORIES / "pandas.inv")),
}

html_theme = "furo"
html_title = "servicecore"
html_static_path = ["_static"]
html_css_files = ["lifecycle.css"]
exclude_patterns = ["_build", "_inventories"]

# The example notebooks are rendered as pages: copied from examples/ (where CI and users run them)
# into the ignored docs/generated/notebooks/, and executed by the build, so the pages always show
# the outputs and plots of the code as it is. The build is CI's only run of the notebooks, and it
# fails on any error in a cell. The cache keeps unchanged notebooks from running twice locally.
NOTEBOOKS = HERE / "generated" / "notebooks"
NOTEBOOKS.mkdir(parents=True, exist_ok=True)
for _notebook in sorted((HERE.parent / "examples").glob("*.ipynb")):
    _copy = NOTEBOOKS / _notebook.name
    if not _copy.exists() or _copy.read_bytes() != _notebook.read_bytes():
        shutil.copyfile(_notebook, _copy)
nb_execution_mode = "cache"
nb_execution_timeout = 600
nb_execution_raise_on_error = True
nb_execution_show_tb = True
