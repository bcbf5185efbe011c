"""Categories: a programme's product groups, each criteria version signed, with procurement crosswalk codes."""
