"""Integration tests of the external CRM adapters against their loopback stand-ins."""
