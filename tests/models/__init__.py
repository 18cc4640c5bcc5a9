"""Tests of workbench.models (a package, so test module names cannot clash across folders)."""
