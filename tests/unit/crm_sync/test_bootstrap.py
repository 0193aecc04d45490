"""crm-sync's wiring decisions that need no broker or database."""

import base64

import pytest

from heed.runtime.settings import KeyRingError
from heed_crm_sync.bootstrap import external_crms, verification_policy
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


def test_crm_settings_left_empty_as_in_the_secrets_example_connect_no_crm(monkeypatch):
    for name in ("HUBSPOT_TOKEN", "HUBSPOT_CLIENT_SECRET", "HUBSPOT_WEBHOOK_URL", "SALESFORCE_TOKEN"):
        monkeypatch.setenv(f"HEED_{name}", "")
    monkeypatch.setenv("HEED_SALESFORCE_INSTANCE_URL", " ")
    settings = CrmSyncSettings()
    assert external_crms(settings) == []
    # an empty client secret would accept webhooks signed with an empty key: unset, they are refused
    assert settings.hubspot_client_secret is None and settings.hubspot_webhook_url is None


async def test_crm_settings_that_are_set_connect_each_crm(monkeypatch):
    monkeypatch.setenv("HEED_HUBSPOT_TOKEN", "pat-na1-token")
    monkeypatch.setenv("HEED_SALESFORCE_TOKEN", "00Dtoken")
    monkeypatch.setenv("HEED_SALESFORCE_INSTANCE_URL", "https://example.my.salesforce.com")
    crms = external_crms(CrmSyncSettings())
    try:
        assert [crm.name for crm in crms] == ["hubspot", "salesforce"]
    finally:
        for crm in crms:
            await crm.aclose()


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


async def test_what_the_crms_refused_is_a_gauge_per_crm_and_kind_on_metrics():
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    from heed_crm_sync.app import CrmSyncService

    service = CrmSyncService(CrmSyncSettings(kafka_bootstrap="127.0.0.1:9", database_url="postgresql://unused/crm"))
    service.refused_counts = {("hubspot", "contact"): 2, ("salesforce", "interaction"): 1}
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=service.internal_asgi()),
                                 base_url="http://internal") as client:
        text = (await client.get("/metrics")).text
    found = {(s.labels["crm"], s.labels["kind"]): s.value for family in text_string_to_metric_families(text)
             for s in family.samples if s.name == "heed_crm_refused"}
    assert found == {("hubspot", "contact"): 2.0, ("salesforce", "interaction"): 1.0}
    assert "# HELP heed_crm_refused Records a CRM refused" in text
