"""The transparency log: appends in the caller's transaction, proofs from stored subtree hashes."""
