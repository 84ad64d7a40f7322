"""The kopf operator: thin handlers per kind, pure reconcile services, one Kubernetes I/O module.

Pure services: `promotion` (the stage machine), `gates` (router metrics -> verdicts),
`providers` (Provider status and SmokeRuns), `smokejobs` (the probe Job), `routerres` (router
objects) and `rollout` (apply / wait / promote / roll back). `kube` is the only module that talks
to the Kubernetes API.
"""

from .gates import Measurement, Verdict, evaluate
from .promotion import Decision, Event, Inputs, decide, group_conditions
from .rollout import Action, LiveState, PodReport
from .settings import OperatorSettings

__all__ = [
    "Action",
    "Decision",
    "Event",
    "Inputs",
    "LiveState",
    "Measurement",
    "OperatorSettings",
    "PodReport",
    "Verdict",
    "decide",
    "evaluate",
    "group_conditions",
]
