"""The log is the source of truth: replay it into a database (`rebuild`) and check the tables against it (`fsck`)."""
