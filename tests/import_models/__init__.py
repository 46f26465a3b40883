"""Models written the way people write them, for the importer's tests (not copied from any library)."""
