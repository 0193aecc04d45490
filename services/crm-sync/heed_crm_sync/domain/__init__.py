"""crm-sync's pure decisions: which customer an identity belongs to, how a customer's version is
announced, which identities merge, what customers say they prefer, and which system owns a field."""

from heed_crm_sync.domain.identity import announcement, customer_id_for

__all__ = ["announcement", "customer_id_for"]
