"""The demo world trimmed for recognition tests: every programme, category and agreement, no supply chains."""

from __future__ import annotations

from ecolabel_registry.demo.spec import World, load_world


def demo_world(certificates_per_category: int) -> World:
    """The demo world with `certificates_per_category` certificates in each category and no organisations,
    supply links or auditor grants."""
    data = load_world().model_dump(mode="json", by_alias=True)
    for programme in data["programmes"]:
        for category in programme["categories"]:
            category["certificates"] = certificates_per_category
    data["organisations"], data["supply_links"], data["auditor_grants"] = [], [], []
    return World.model_validate(data)
