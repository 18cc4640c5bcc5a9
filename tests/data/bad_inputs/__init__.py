"""The bad-input corpus: one case per class of bad input a careless or hostile user can give."""
