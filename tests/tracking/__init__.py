"""Tests of workbench.tracking (a package, so test module names cannot clash across folders)."""
