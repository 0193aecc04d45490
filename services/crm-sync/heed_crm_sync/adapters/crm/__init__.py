"""The external CRMs' adapters, one module per vendor."""
