"""Bulk downloads of public data (dumps), their loader, and DCAT-AP metadata for open-data portals."""
