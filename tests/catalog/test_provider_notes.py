"""Notes, keyId and output modalities on a Provider: documented, bounded, never eligibility."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from switchyard.catalog import Capability, Modality, Provider
from switchyard.render import render


def _provider(**model: Any) -> dict[str, Any]:
    return {
        "kind": "Provider",
        "metadata": {"name": "p", "namespace": "llm", "generation": 1},
        "spec": {
            "baseUrl": "http://127.0.0.1:9/v1",
            "dialect": "openai-chat",
            "auth": {"secretRef": {"name": "k", "key": "apiKey"}, "keyId": "prod-2026-11"},
            "models": [{"name": "m", "model": "served", **model}],
        },
    }


def test_notes_and_modalities_are_kept_and_bounded() -> None:
    p = Provider.model_validate(
        _provider(pricingNotes="cache reads at 10%", validationNotes="smoked 2026-11-30",
                  outputModalities=["text", "image"],
                  bridges={"responsesToChat": {"enabled": True, "validationNotes": "codex ok"}})
    )  # fmt: skip
    m = p.spec.models[0]
    assert (m.pricing_notes, m.validation_notes) == ("cache reads at 10%", "smoked 2026-11-30")
    assert m.output_modalities == [Modality.TEXT, Modality.IMAGE]
    assert m.bridges is not None and m.bridges.responses_to_chat is not None
    assert m.bridges.responses_to_chat.validation_notes == "codex ok"
    assert p.spec.auth.key_id == "prod-2026-11"
    assert Provider.model_validate(_provider()).spec.models[0].output_modalities == [Modality.TEXT]
    with pytest.raises(ValidationError, match=r"validationNotes|validation_notes"):
        Provider.model_validate(_provider(validationNotes="x" * 1025))


@pytest.mark.parametrize("key_id", ["", "has space", "x" * 129, "-leading"])
def test_key_id_is_a_label_not_a_secret_blob(key_id: str) -> None:
    data = _provider()
    data["spec"]["auth"]["keyId"] = key_id
    with pytest.raises(ValidationError):
        Provider.model_validate(data)


def test_notes_never_make_anything_eligible_and_key_id_reaches_the_router() -> None:
    doc = _provider(
        validationNotes="supports images and tools, trust me", outputModalities=["image"]
    )
    config = render([Provider.model_validate(doc)], [])
    (provider,) = config.providers
    assert provider.key_id == "prod-2026-11"
    (model,) = provider.models
    assert model.verified == [] and Capability.IMAGE_INPUT not in model.verified
    assert "trust me" not in config.to_json()
