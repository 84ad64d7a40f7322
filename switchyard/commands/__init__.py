"""Command modules of the catalog-side commands (file I/O lives here, not in catalog/)."""
