import pickle
import sys

import pytest

from servicecore.errors import MissingExtraError, ServicecoreError
from servicecore.extras import EXTRAS, require_extra


def test_a_missing_extra_is_a_servicecore_error_and_an_import_error():
    error = MissingExtraError("the demo", "sql", "sqlalchemy")
    assert isinstance(error, ServicecoreError)
    assert isinstance(error, ImportError)


def test_the_message_names_the_feature_the_package_and_the_pip_command():
    error = MissingExtraError("the demo", "sql", "sqlalchemy")
    assert str(error) == 'the demo needs the sql extra (sqlalchemy): pip install "servicecore[sql]"'
    assert error.command == 'pip install "servicecore[sql]"'
    assert error.name == "sqlalchemy"


def test_a_missing_extra_survives_pickling():
    back = pickle.loads(pickle.dumps(MissingExtraError("plots", "plot", "matplotlib")))
    assert (back.feature, back.extra, back.package) == ("plots", "plot", "matplotlib")


def test_the_old_import_paths_name_the_same_class():
    from servicecore import scheduling
    from servicecore.reports.report import MissingExtra
    from servicecore.scheduling import result

    assert MissingExtra is scheduling.MissingExtraError is result.MissingExtraError
    assert MissingExtra is MissingExtraError


def test_require_extra_names_the_first_missing_module(monkeypatch):
    monkeypatch.setitem(sys.modules, "alembic", None)
    monkeypatch.setattr("importlib.util.find_spec", lambda name: None if name == "alembic" else 1)
    with pytest.raises(MissingExtraError) as info:
        require_extra("servicecore db", "sql")
    assert info.value.package == "alembic"
    assert 'pip install "servicecore[sql]"' in str(info.value)


def test_require_extra_passes_when_everything_is_installed():
    require_extra("servicecore db", "sql")


def test_every_extra_in_the_table_is_declared_by_the_package():
    from importlib.metadata import metadata

    declared = set(metadata("servicecore").get_all("Provides-Extra") or [])
    assert {extra.name for extra in EXTRAS} <= declared


def test_qr_images_without_the_qr_extra_raise_the_one_error(monkeypatch):
    from servicecore.services.tokens import qr_png

    monkeypatch.setitem(sys.modules, "qrcode", None)
    with pytest.raises(MissingExtraError, match=r"servicecore\[qr\]"):
        qr_png("abc")


def test_the_getting_started_page_lists_every_extra():
    from pathlib import Path

    page = (Path(__file__).resolve().parents[1] / "docs" / "getting-started.rst").read_text()
    for extra in EXTRAS:
        assert f"   * - ``{extra.name}``" in page
