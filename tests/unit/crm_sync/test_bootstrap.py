"""crm-sync's wiring decisions that need no broker or database."""

import base64

import pytest

from heed.runtime.settings import KeyRingError
from heed_crm_sync.bootstrap import verification_policy
from heed_crm_sync.settings import CrmSyncSettings

KEY = base64.b64encode(b"k" * 32).decode()


@pytest.mark.parametrize("data_key, link_key", [("", KEY), (KEY, ""), ("  ", KEY), (None, KEY), (KEY, None)])
def test_a_key_left_empty_as_in_the_secrets_example_turns_the_page_off_rather_than_stopping(data_key, link_key):
    settings = CrmSyncSettings.model_validate({"crm_data_key": data_key, "secure_link_key": link_key})
    assert verification_policy(settings) is None


def test_a_key_that_is_set_but_unusable_still_stops_the_service_naming_the_setting():
    settings = CrmSyncSettings.model_validate({"crm_data_key": "not base64!", "secure_link_key": KEY})
    with pytest.raises(KeyRingError, match="HEED_CRM_DATA_KEY"):
        verification_policy(settings)
    both = CrmSyncSettings.model_validate({"crm_data_key": KEY, "secure_link_key": KEY})
    policy = verification_policy(both)
    assert policy is not None and len(policy.link_keys) == 1


@pytest.mark.parametrize("tokens", [
    "ops:read+write:ops-token-0123456789,sales:rd:sales-secret-token-0123456789",  # a misspelt scope
    "ops:read:ops-token-0123456789,sales-secret-token-0123456789",  # no name or scopes
    "ops:read:ops-token-0123456789,sales:sales-secret-token-0123456789:read",  # the token in the scopes' place
])
def test_malformed_api_tokens_stop_the_service_naming_the_entry_never_a_token(tokens):
    with pytest.raises(ValueError) as refused:
        CrmSyncSettings(crm_api_tokens=tokens).api_tokens()
    assert "HEED_CRM_API_TOKENS entry 2" in str(refused.value)
    assert "token-0123456789" not in str(refused.value) and "secret" not in str(refused.value)
