"""Tests of workbench.jobs (a package, so test module names cannot clash across folders)."""
