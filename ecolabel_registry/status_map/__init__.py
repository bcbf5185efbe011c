"""The status map's rows in the database: updated in the write transaction, read for proofs."""
