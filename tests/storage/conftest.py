"""The SQLAlchemy adapter's tests use the suite's backend matrix (``tests/conftest.py``)."""
