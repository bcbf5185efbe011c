"""Certificates as UN Transparency Protocol Digital Conformity Credentials (UNTP DCC data model v0.6.0)."""
