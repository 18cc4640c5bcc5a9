"""Tests of workbench.reference (a package, so test module names cannot clash across folders)."""
