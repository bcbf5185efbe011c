"""A C2SP tlog-witness: an independent party that cosigns the registry's checkpoints if, and only if,
each one is consistent with the last it cosigned. It shares nothing with the registry but the log's
public key: its own key, its own state directory, its own process (`ecolabel-registry witness serve`).
"""
