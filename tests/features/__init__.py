"""Tests of workbench.features (a package, so test module names cannot clash across folders)."""
