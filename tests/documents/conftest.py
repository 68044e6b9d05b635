from tests.claims.support import documents_dir

__all__ = ["documents_dir"]
