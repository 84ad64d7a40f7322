"""TargetStatus carries what promotion needs to end a rollback: the evidence run and generation."""

from __future__ import annotations

from switchyard.catalog import TargetStatus


def test_evidence_run_and_generation_round_trip_in_camel_case() -> None:
    s = TargetStatus(provider="p", model="m", evidence_run="p-m-g2", generation=3)
    wire = s.wire()
    assert wire["evidenceRun"] == "p-m-g2"
    assert wire["generation"] == 3
    assert TargetStatus.model_validate(wire) == s


def test_old_status_without_the_fields_still_parses() -> None:
    s = TargetStatus.model_validate({"provider": "p", "model": "m", "stage": "Limited", "step": 1})
    assert s.evidence_run is None and s.generation is None


def test_status_tolerates_and_never_emits_kopf_bookkeeping() -> None:
    from switchyard.catalog import (
        ModelGroup,
        ModelGroupStatus,
        ProviderStatus,
        SmokeRunStatus,
        crd_for,
    )

    for cls in (ProviderStatus, ModelGroupStatus, SmokeRunStatus):
        s = cls.model_validate({"kopf": {"progress": {"h": {"retries": 1}}}})
        assert s.kopf == {"progress": {"h": {"retries": 1}}}
        assert "kopf" not in s.wire()
    status = crd_for(ModelGroup)["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    kopf = status["properties"]["status"]["properties"]["kopf"]
    assert kopf["x-kubernetes-preserve-unknown-fields"] is True
