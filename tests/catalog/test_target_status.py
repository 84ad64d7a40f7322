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
