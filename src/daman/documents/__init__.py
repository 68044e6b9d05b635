"""The document store and its HTTP routes: scanned files (PDF, JPEG, PNG) attached to
claims, pre-authorisation requests and exemption requests.

- ``store``: check an upload (type read from the bytes, size capped), keep its bytes
  outside the database by checksum, find a stored document, serve it as a download named
  from its type;
- ``schemas``: ``DocumentOut``, a document as a caller may see it;
- ``routes``: one factory of the upload and download routes of a kind of owner; the owner
  passes what differs (its URL, how to find one by number, who may upload and read, its
  documents table).

This package imports only ``daman.core``, ``daman.config`` and ``daman.auth``: the owners
import it, never the other way round.
"""
