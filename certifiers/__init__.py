"""Certifier toolkit: what an eco-label programme uses to sign and publish its documents at a registry.

    keys        programme signing keys as owner-only PKCS #8 PEM files
    records     certification records (JSON, JSON Lines, licence CSV) -> EcoLabelCertificate payloads
    events      status events, key events and category definitions
    client      CertifierClient, the typed HTTP client (retries, problem documents -> SubmissionRefused)
    operations  one call per action: build, sign, send, verify the receipt
    bulk        resumable bulk submission in batches
    cli         `ecolabel-certifier`, a thin command line over the modules above

See certifiers/README.md for the CSV format and an example session.
"""
