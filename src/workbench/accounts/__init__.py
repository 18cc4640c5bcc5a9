"""Key-account management: tiering A/B/C, groups and large exposures, the early-warning system,
the watchlist and its store (SQLAlchemy), and how well the warnings work."""
