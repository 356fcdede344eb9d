"""The operational tools against a moto server: audit, quarantine, retention, scan gate."""
