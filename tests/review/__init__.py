"""Tests of the sign-off gate (a package so its module names cannot clash with other test folders)."""
