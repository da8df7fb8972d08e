"""The golden record's rules are written once, where its input fingerprint reads them too.

customers_inputs() (macros/marts/customer_mart_inputs.sql) fingerprints what customers.sql
decides from: which values are shared, which events are orders and engagement, the consent
flags. A rule restated in either file drifts from the other's copy, and the fingerprint then
stops seeing the inputs the rule reads. So each rule's text must appear in
macros/marts/customer_rules.sql only.
"""

from __future__ import annotations

import pytest

from orchestration import settings

RULES = "macros/marts/customer_rules.sql"
CALLERS = ["models/marts/customers/customers.sql", "macros/marts/customer_mart_inputs.sql"]

RULE_MACROS = [
    "join_shared_identifiers(",
    "is_unshared(",
    "customer_event_facts(",
    "customer_consent_flags(",
]
"""What customers.sql decides from, so what customers_inputs() must read the same way."""

# A fragment that only the rule's own text contains.
RULE_TEXT = {
    "shared values": "int_identity__shared_identifiers",
    "buyers": "event_type = 'order'",
    "engagement events": "'email_click'",
    "granted consent": "status = 'granted'",
    "unsubscribed": "'opt_out'",
    "bounced": "'cleaned'",
}


def _read(path: str) -> str:
    return (settings.dbt_project_dir() / path).read_text()


@pytest.mark.parametrize("rule", sorted(RULE_TEXT))
def test_each_rule_is_written_once(rule: str) -> None:
    fragment = RULE_TEXT[rule]
    assert fragment in _read(RULES)
    for caller in CALLERS:
        assert fragment not in _read(caller), f"{caller} restates the {rule} rule"


@pytest.mark.parametrize("caller", CALLERS)
def test_both_callers_apply_every_rule(caller: str) -> None:
    """A caller that stops calling a rule (the fingerprint no longer reading consent, say) is
    not caught by the fragments above: the rule's text is still written once."""
    text = _read(caller)
    assert [macro for macro in RULE_MACROS if macro not in text] == []
