"""The notebook tests (a package, so test module names cannot clash across folders)."""
