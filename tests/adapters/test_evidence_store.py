"""FilesystemEvidenceStore: content-addressed, atomic, confined to its root."""

import hashlib
import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest

from servicecore.adapters.evidence import FilesystemEvidenceStore
from servicecore.errors import NotFound, StorageError, ValidationError
from servicecore.ports import EvidenceStore

PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40  # JPEG magic, then filler


def path_of(uri: str) -> Path:
    return Path(unquote(urlsplit(uri).path))


@pytest.fixture
def store(tmp_path: Path) -> FilesystemEvidenceStore:
    return FilesystemEvidenceStore(tmp_path / "evidence")


def test_round_trip(store: FilesystemEvidenceStore, tmp_path: Path) -> None:
    stored = store.put("acme", "R-1", "before-1.JPG", PHOTO)

    path = tmp_path / "evidence" / "acme" / "R-1" / f"{hashlib.sha256(PHOTO).hexdigest()}.jpg"
    assert stored.uri == path.resolve().as_uri()
    assert stored.uri.startswith("file:///")
    assert stored.content_hash == hashlib.sha256(PHOTO).hexdigest()
    assert stored.size == len(PHOTO)
    assert path.read_bytes() == PHOTO
    assert store.get(stored.uri) == PHOTO


def test_is_an_evidence_store(store: FilesystemEvidenceStore) -> None:
    port: EvidenceStore = store
    assert port.get(port.put("acme", "R-1", "a.png", b"png").uri) == b"png"


def test_the_same_bytes_are_stored_once(store: FilesystemEvidenceStore) -> None:
    first = store.put("acme", "R-1", "before.jpg", PHOTO)
    again = store.put("acme", "R-1", "resent-photo.JPG", PHOTO)
    other = store.put("acme", "R-1", "after.jpg", PHOTO + b"\x00")

    assert again == first
    assert other.uri != first.uri
    files = sorted(p.name for p in (store.root / "acme" / "R-1").iterdir())
    assert len(files) == 2
    assert not any(name.startswith(".") for name in files)  # no temporary file left behind


def test_tenants_and_requests_are_kept_apart(store: FilesystemEvidenceStore) -> None:
    a = store.put("acme", "R-1", "x.jpg", PHOTO)
    b = store.put("globex", "R-1", "x.jpg", PHOTO)
    c = store.put("acme", "R-2", "x.jpg", PHOTO)

    assert len({a.uri, b.uri, c.uri}) == 3
    assert a.content_hash == b.content_hash == c.content_hash


@pytest.mark.parametrize(
    ("name", "extension"),
    [("scan.PDF", "pdf"), ("signature", "bin"), (".hidden", "bin"), ("photo.", "bin")],
)
def test_extension_comes_from_the_name(
    store: FilesystemEvidenceStore, name: str, extension: str
) -> None:
    assert store.put("acme", "R-1", name, b"content").uri.endswith(f".{extension}")


@pytest.mark.parametrize(
    ("field", "tenant", "request_id", "name"),
    [
        ("tenant", "", "R-1", "a.jpg"),
        ("request_id", "acme", "", "a.jpg"),
        ("request_id", "acme", "R" * 129, "a.jpg"),
        ("name", "acme", "R-1", "../../../outside.jpg"),
        ("name", "acme", "R-1", "/etc/passwd"),
        ("name", "acme", "R-1", "..\\..\\x.jpg"),
        ("name", "acme", "R-1", ".."),
        ("name", "acme", "R-1", ""),
        ("name", "acme", "R-1", "a.j p g"),
    ],
)
def test_names_that_would_escape_the_root_are_refused(
    store: FilesystemEvidenceStore,
    tmp_path: Path,
    field: str,
    tenant: str,
    request_id: str,
    name: str,
) -> None:
    with pytest.raises(ValidationError) as caught:
        store.put(tenant, request_id, name, PHOTO)

    assert caught.value.errors[0].path == field
    assert not (tmp_path / "evidence").exists()  # nothing written


def test_empty_content_is_refused(store: FilesystemEvidenceStore) -> None:
    with pytest.raises(ValidationError) as caught:
        store.put("acme", "R-1", "a.jpg", b"")
    assert caught.value.errors[0].path == "content"


def test_content_must_be_bytes(store: FilesystemEvidenceStore) -> None:
    with pytest.raises(ValidationError) as caught:
        store.put("acme", "R-1", "a.txt", "text")  # type: ignore[arg-type]
    assert caught.value.errors[0].path == "content"


def test_missing_evidence_is_not_found(store: FilesystemEvidenceStore) -> None:
    stored = store.put("acme", "R-1", "a.jpg", PHOTO)
    missing = stored.uri.replace(stored.content_hash, "0" * 64)

    with pytest.raises(NotFound) as caught:
        store.get(missing)
    assert (caught.value.kind, caught.value.id) == ("Evidence", missing)

    path_of(stored.uri).unlink()
    with pytest.raises(NotFound):
        store.get(stored.uri)
    with pytest.raises(NotFound):
        store.verify(stored.uri, stored.content_hash)


def test_uris_outside_the_root_are_refused(store: FilesystemEvidenceStore, tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not evidence")
    stored = store.put("acme", "R-1", "a.jpg", PHOTO)
    sneaky = stored.uri.rsplit("/", 3)[0] + "/acme/R-1/../../../secret.txt"

    for uri in (
        secret.as_uri(),
        sneaky,
        store.root.as_uri(),
        "https://example.test/a.jpg",
        "file://otherhost" + str(store.root / "acme" / "R-1" / "a.jpg"),
        str(store.root / "acme" / "R-1" / f"{stored.content_hash}.jpg"),
    ):
        with pytest.raises(ValidationError) as caught:
            store.get(uri)
        assert caught.value.errors[0].path == "uri"


def test_a_symlink_out_of_the_root_is_refused(
    store: FilesystemEvidenceStore, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"not evidence")
    store.put("acme", "R-1", "a.jpg", PHOTO)
    link = store.root / "acme" / "R-1" / "link.txt"
    link.symlink_to(secret)

    with pytest.raises(ValidationError):
        store.get(link.as_uri())


def test_verify_detects_a_tampered_file(store: FilesystemEvidenceStore) -> None:
    stored = store.put("acme", "R-1", "after.jpg", PHOTO)
    assert store.verify(stored.uri, stored.content_hash)
    assert store.verify(stored.uri, stored.content_hash.upper())

    path = path_of(stored.uri)
    path.write_bytes(PHOTO[:-1] + b"\x01")

    assert not store.verify(stored.uri, stored.content_hash)


def test_verify_refuses_a_malformed_hash(store: FilesystemEvidenceStore) -> None:
    stored = store.put("acme", "R-1", "after.jpg", PHOTO)
    with pytest.raises(ValidationError) as caught:
        store.verify(stored.uri, "abc")
    assert caught.value.errors[0].path == "content_hash"


def test_putting_onto_a_tampered_file_is_refused_not_overwritten(
    store: FilesystemEvidenceStore,
) -> None:
    stored = store.put("acme", "R-1", "after.jpg", PHOTO)
    path = path_of(stored.uri)
    path.write_bytes(b"forged")

    with pytest.raises(StorageError, match="tampered"):
        store.put("acme", "R-1", "after.jpg", PHOTO)
    assert path.read_bytes() == b"forged"  # the evidence of tampering is kept


def test_filesystem_failures_are_storage_errors(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_bytes(b"")
    store = FilesystemEvidenceStore(blocker)

    with pytest.raises(StorageError) as caught:
        store.put("acme", "R-1", "a.jpg", PHOTO)
    assert isinstance(caught.value.__cause__, OSError)


def test_files_are_private_to_the_owner(store: FilesystemEvidenceStore) -> None:
    stored = store.put("acme", "R-1", "a.jpg", PHOTO)
    mode = os.stat(path_of(stored.uri)).st_mode & 0o777
    assert mode == 0o600


def test_a_path_with_spaces_round_trips(tmp_path: Path) -> None:
    store = FilesystemEvidenceStore(tmp_path / "service evidence %20")
    stored = store.put("acme", "R-1", "a.jpg", PHOTO)
    assert "%2520" in stored.uri
    assert store.get(stored.uri) == PHOTO


@pytest.mark.parametrize(
    ("tenant", "request_id"),
    [
        ("..", "R-1"),
        ("acme/../../etc", "R-1"),
        ("/etc", "R-1"),
        ("acme", ".."),
        ("acme", "R/1"),
        ("acme", ".hidden"),
        ("acme", "PM:K-1:PM-1:A-1:20260311"),
    ],
)
def test_any_id_is_stored_in_a_folder_of_its_own_inside_the_root(
    store: FilesystemEvidenceStore, tmp_path: Path, tenant: str, request_id: str
) -> None:
    stored = store.put(tenant, request_id, "a.jpg", b"content")
    path = Path(unquote(urlsplit(stored.uri).path)).resolve()
    assert path.is_relative_to(tmp_path.resolve())
    assert len(path.relative_to(store.root).parts) == 3
    assert store.get(stored.uri) == b"content"


def test_ids_that_differ_only_in_escaped_characters_get_different_folders(
    store: FilesystemEvidenceStore,
) -> None:
    one = store.put("acme", "R:1", "a.jpg", b"same")
    other = store.put("acme", "R/1", "a.jpg", b"same")
    assert one.uri != other.uri
