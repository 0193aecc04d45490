"""The responder's wiring decisions that need no broker or database."""

import base64

import pytest

from heed.runtime.settings import KeyRingError
from heed_responder.bootstrap import reply_context
from heed_responder.settings import ResponderSettings
from tests.unit.responder.fakes import shipped_context

KEY = base64.b64encode(b"k" * 32).decode()
SHIPPED = shipped_context()


@pytest.mark.parametrize("link_key", ["", "  ", None])
def test_a_link_key_left_empty_as_in_the_secrets_example_issues_no_links_rather_than_stopping(link_key):
    settings = ResponderSettings.model_validate({"secure_link_key": link_key,
                                                 "responder_verify_url": "https://care.example.com/verify"})
    assert reply_context(settings, SHIPPED.catalogs, SHIPPED.knowledge).link_keys == ()


def test_a_link_key_that_is_set_but_unusable_still_stops_the_service_naming_the_setting():
    with pytest.raises(KeyRingError, match="HEED_SECURE_LINK_KEY"):
        reply_context(ResponderSettings.model_validate({"secure_link_key": "not base64!"}), SHIPPED.catalogs,
                      SHIPPED.knowledge)
    settings = ResponderSettings.model_validate({"secure_link_key": KEY})
    assert len(reply_context(settings, SHIPPED.catalogs, SHIPPED.knowledge).link_keys) == 1
