"""Models as named resources: the store's catalogue, its directory rules,
`models add`, and the resident set under a memory budget (docs/PROTOCOL.md
"Models")."""

from glurpcd.models.catalog import Catalog, ModelFile, check_name
from glurpcd.models.resident import Models

__all__ = ["Catalog", "ModelFile", "Models", "check_name"]
