"""Tests of workbench.explain (a package so its module names cannot clash with other test folders)."""
