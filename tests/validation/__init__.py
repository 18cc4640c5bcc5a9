"""Tests of workbench.validation (a package so its module names cannot clash with other test folders)."""
