"""The upload and download routes of documents, one factory for every kind of owner.

``document_routes`` builds ``POST <owners>/{number}/documents`` and ``GET
<owners>/{number}/documents/{document_id}`` for claims, pre-authorisation requests or
exemption requests. The owner passes in what differs (its URL, how to find one by number
within the caller's scope, who may upload and read, its documents table, whether it still
takes documents); everything else is the same for all: an upload is read, checked and
stored by the store, the same file twice answered 200 with the first row; a download is
found among the documents the caller may see (404 otherwise), written to the read log when
staff read it, and typed and named from its bytes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeVar

from fastapi import APIRouter, Depends, File, Response, UploadFile, status
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from daman.auth.access import Principal, allow, log_read
from daman.core.db import SESSION
from daman.core.errors import Conflict, DamanError, NotFound, ValidationFailed, error_responses
from daman.core.pagination import RowId
from daman.documents import store
from daman.documents.schemas import DocumentOut


class Owner(Protocol):
    """What documents are attached to: a claim, a pre-authorisation, an exemption request."""

    @property
    def number(self) -> str: ...

    @property
    def documents(self) -> list[Any]: ...


T = TypeVar("T", bound=Owner)


def every_document(owner: Owner, who: Principal) -> Sequence[Any]:
    """Whoever may see the owner may download all its documents."""
    return owner.documents


def no_columns(who: Principal) -> dict[str, Any]:
    return {}


def document_routes(
    owners: str,
    *,
    owner: str,
    find: Callable[[Session, str, Principal], T],
    table: Callable[..., Any],
    may_upload: allow,
    may_read: allow,
    logged_as: str,
    about: str,
    called: str = "document",
    takes_documents: Callable[[T], None] | None = None,
    seen_by: Callable[[T, Principal], Sequence[Any]] = every_document,
    columns: Callable[[Principal], dict[str, Any]] = no_columns,
    attached: Callable[[Session, T, str, Principal], object] | None = None,
) -> APIRouter:
    """The upload and download routes of the owners under the path ``owners`` (``/claims``).

    - ``owner``: an owner as messages name it (``claim``: "no document 3 on claim F…");
    - ``find(session, number, who)``: the owner of that number if ``who`` may see it, else
      NotFound;
    - ``table``: the owner's documents table (a ``StoredFile``); a new row also gets
      ``columns(who)`` (a claim's document records the provider uploading it), and its
      owner through the owner's ``documents``;
    - ``may_upload``, ``may_read``: the role rules of the upload and of the download;
    - ``logged_as``: what a staff download is in the read log (key ``<number>/<id>``);
    - ``about``: the upload's description in the API docs; the operations are named
      ``upload_<called>`` and ``download_<called>``;
    - ``takes_documents(owner)``: raises a Conflict when the owner takes no more documents
      (a request already answered); the upload then declares 409;
    - ``seen_by(owner, who)``: the documents of the owner ``who`` may download;
    - ``attached(session, owner, filename, who)``: what a new document (not the same file
      again) does to its owner, in the upload's transaction (a claim's request for a
      document answered).
    """
    router = APIRouter()
    path = f"{owners}/{{number}}/documents"
    refusals: tuple[type[DamanError], ...] = (NotFound, ValidationFailed)
    if takes_documents is not None:
        refusals += (Conflict,)

    def upload(
        number: str,
        response: Response,
        file: UploadFile = File(description="PDF, JPEG or PNG"),
        who: Principal = Depends(may_upload),
        session: Session = SESSION,
    ) -> DocumentOut:
        row = find(session, number, who)
        data = store.read_upload(file)
        if takes_documents is not None:
            takes_documents(row)

        def new(**stored: Any) -> Any:
            return table(**stored, **columns(who))

        doc, created = store.attach(
            session,
            row.documents,
            new,
            file.filename or "document",
            file.content_type,
            data,
            who.actor,
        )
        if not created:
            response.status_code = status.HTTP_200_OK
        elif attached is not None:
            attached(session, row, doc.filename, who)
        return DocumentOut.seen_by(doc, who)

    def download(
        number: str,
        document_id: RowId,
        who: Principal = Depends(may_read),
        session: Session = SESSION,
    ) -> FileResponse:
        row = find(session, number, who)
        doc, stored = store.locate(seen_by(row, who), document_id, f"{owner} {row.number}")
        log_read(session, who, logged_as, f"{row.number}/{doc.id}")
        return store.download(doc, stored)

    router.add_api_route(
        path,
        upload,
        methods=["POST"],
        name=f"upload_{called}",
        description=about,
        status_code=status.HTTP_201_CREATED,
        response_model=DocumentOut,
        responses={
            200: {"model": DocumentOut, "description": "the same file was already attached"},
            **error_responses(*refusals),
        },
    )
    router.add_api_route(
        f"{path}/{{document_id}}",
        download,
        methods=["GET"],
        name=f"download_{called}",
        response_class=FileResponse,
        responses=error_responses(NotFound),
    )
    return router
