"""Tests of workbench.data (a package, so test module names cannot clash across folders)."""
