"""Tests of workbench.pricing (a package, so test module names cannot clash across folders)."""
