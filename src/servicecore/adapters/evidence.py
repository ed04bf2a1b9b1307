"""A filesystem evidence store: content-addressed files under one root folder.

Layout: ``<root>/<tenant>/<request_id>/<sha256>.<ext>`` (the ids with their path characters
escaped as ``+XX``), where ``ext`` comes from the name the
evidence was put under (``photo-before.JPG`` → ``jpg``; ``bin`` when it has none). The same bytes
put twice for the same request (with the same extension) are stored once and get the same uri.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlsplit

from servicecore.errors import NotFound, StorageError, ValidationError
from servicecore.ports import StoredContent

__all__ = ["FilesystemEvidenceStore"]

# One path segment: no separators, no dot-only names, nothing the host OS would reinterpret.
_SAFE_RE = re.compile(r"[A-Za-z0-9_@-]")
_EXTENSION_RE = re.compile(r"[a-z0-9]{1,16}")
_HASH_RE = re.compile(r"[0-9a-f]{64}")
_CHUNK = 1 << 20


class FilesystemEvidenceStore:
    """Keeps evidence (photos, signatures, documents) as files under ``root``.

    Writes are atomic (a temporary file in the target folder, flushed to disk, then renamed over
    the target), so a crash never leaves a half-written file under a content hash. Files are
    created readable by the owner only. The uri of a stored file is its absolute ``file://`` uri.

    Args:
        root: The folder to keep evidence in; created on first :meth:`put` if missing.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root).resolve()

    def __repr__(self) -> str:
        return f"FilesystemEvidenceStore({str(self.root)!r})"

    def put(self, tenant: str, request_id: str, name: str, content: bytes) -> StoredContent:
        """Store ``content`` for a request and return its uri, SHA-256 and size.

        Args:
            tenant: The tenant; becomes a folder, so it must be one safe path segment.
            request_id: The request; becomes a folder, so it must be one safe path segment.
            name: The file's name as uploaded; only its extension is kept.
            content: The bytes.

        Returns:
            Where the bytes are, their SHA-256 (hex) and their size.

        Raises:
            ValidationError: ``content`` is empty or not bytes; ``tenant`` or ``request_id``
                is not an id of 1-128 characters (any id is stored in a folder of its own,
                its path characters escaped); ``name`` is not a single safe path segment
                (``..``, ``/``, absolute paths); the extension of ``name`` is not 1-16 letters
                or digits.
            StorageError: The filesystem failed, or a file already stored under this content's
                hash holds other bytes (the store was corrupted or tampered with).
        """
        folder = self.root / _segment("tenant", tenant) / _segment("request_id", request_id)
        extension = _extension(name)
        if not isinstance(content, bytes | bytearray | memoryview):
            raise ValidationError.single("content", type(content).__name__, "must be bytes")
        data = bytes(content)
        if not data:
            raise ValidationError.single("content", b"", "must not be empty")
        digest = hashlib.sha256(data).hexdigest()
        target = folder / f"{digest}.{extension}"
        stored = StoredContent(uri=target.as_uri(), content_hash=digest, size=len(data))
        try:
            if target.exists():
                if _hash_file(target) != digest:
                    raise StorageError(
                        f"{target} does not hash to its name: the store is corrupted or was "
                        "tampered with; refusing to overwrite it"
                    )
                return stored
            folder.mkdir(parents=True, exist_ok=True)
            _write_atomically(folder, target, data)
        except OSError as exc:
            raise StorageError(f"could not store evidence at {target}: {exc}") from exc
        return stored

    def get(self, uri: str) -> bytes:
        """Return the bytes stored at ``uri``.

        Raises:
            ValidationError: ``uri`` is not a ``file://`` uri of a file in this store.
            NotFound: Nothing is stored there (``NotFound("Evidence", uri)``).
            StorageError: The file exists but could not be read.
        """
        path = self._path_of(uri)
        try:
            return path.read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise NotFound("Evidence", uri) from exc
        except OSError as exc:
            raise StorageError(f"could not read evidence at {path}: {exc}") from exc

    def verify(self, uri: str, content_hash: str) -> bool:
        """Re-hash the file at ``uri`` and tell whether it still matches ``content_hash``.

        Args:
            uri: A uri returned by :meth:`put`.
            content_hash: The SHA-256 (hex) recorded when it was stored.

        Returns:
            ``True`` when the file's bytes hash to ``content_hash``; ``False`` when it was altered.

        Raises:
            ValidationError: ``uri`` is not of this store, or ``content_hash`` not 64 hex digits.
            NotFound: Nothing is stored at ``uri`` (a removed file is a failure to report, too).
            StorageError: The file could not be read.
        """
        if not isinstance(content_hash, str) or not _HASH_RE.fullmatch(content_hash.lower()):
            raise ValidationError.single(
                "content_hash", content_hash, "must be a SHA-256 in 64 hex digits"
            )
        path = self._path_of(uri)
        try:
            actual = _hash_file(path)
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise NotFound("Evidence", uri) from exc
        except OSError as exc:
            raise StorageError(f"could not read evidence at {path}: {exc}") from exc
        return hmac.compare_digest(actual, content_hash.lower())

    def _path_of(self, uri: str) -> Path:
        if not isinstance(uri, str):
            raise ValidationError.single("uri", uri, "must be a file:// uri")
        parts = urlsplit(uri)
        if parts.scheme != "file" or parts.netloc not in ("", "localhost") or parts.query:
            raise ValidationError.single("uri", uri, "must be a file:// uri of this store")
        path = Path(unquote(parts.path)).resolve()
        # resolve() follows symlinks, so a link inside the root that points out is refused too.
        if not path.is_relative_to(self.root) or len(path.relative_to(self.root).parts) != 3:
            raise ValidationError.single("uri", uri, f"is not a file in the store at {self.root}")
        return path


def _segment(field: str, value: object) -> str:
    """The folder name of a tenant or request id: the id, every unsafe character escaped.

    Ids may hold ``:`` and ``/`` (a maintenance visit's request id does); each character
    outside letters, digits, ``_``, ``@`` and ``-`` becomes ``+XX`` (its code point in hex), so
    that distinct ids get distinct folders and no id reaches outside its own folder.
    """
    if not isinstance(value, str) or not value or len(value) > 128:
        raise ValidationError.single(field, value, "must be an id of 1-128 characters")
    return "".join(c if _SAFE_RE.fullmatch(c) else f"+{ord(c):02X}" for c in value)


def _extension(name: object) -> str:
    if (
        not isinstance(name, str)
        or not name.strip()
        or name in (".", "..")
        or any(sep in name for sep in ("/", "\\", "\0"))
    ):
        raise ValidationError.single(
            "name", name, "must be a file name without folders (no '/', '\\' or '..')"
        )
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem.strip(".") or not extension:
        return "bin"
    extension = extension.lower()
    if not _EXTENSION_RE.fullmatch(extension):
        raise ValidationError.single("name", name, "its extension must be 1-16 letters or digits")
    return extension


def _hash_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _write_atomically(folder: Path, target: Path, data: bytes) -> None:
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".incoming-", suffix=".tmp")
    try:
        with os.fdopen(descriptor, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_folder(folder)


def _fsync_folder(folder: Path) -> None:
    # The rename is durable only once the folder entry is on disk; Windows cannot open folders.
    if os.name != "posix":
        return
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
