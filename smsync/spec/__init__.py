"""The spec layer: YAML files + JSON Schemas -> typed desired state, with file:line errors."""

from typing import TYPE_CHECKING

from smsync._lazy import lazy_exports

if TYPE_CHECKING:
    from smsync.spec.errors import SpecErrors, SpecProblem
    from smsync.spec.loader import discover_spec_files, load_desired_state, load_suppression
    from smsync.spec.model import (
        Audience,
        BroadcastSpec,
        ContactSelector,
        ContactSpec,
        DesiredState,
        GroupSpec,
        Location,
    )
    from smsync.spec.project import (
        Credentials,
        CredentialsError,
        Project,
        Safety,
        load_project,
        resolve_credentials,
    )

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "SpecErrors": "smsync.spec.errors",
        "SpecProblem": "smsync.spec.errors",
        "discover_spec_files": "smsync.spec.loader",
        "load_desired_state": "smsync.spec.loader",
        "load_suppression": "smsync.spec.loader",
        "Audience": "smsync.spec.model",
        "BroadcastSpec": "smsync.spec.model",
        "ContactSelector": "smsync.spec.model",
        "ContactSpec": "smsync.spec.model",
        "DesiredState": "smsync.spec.model",
        "GroupSpec": "smsync.spec.model",
        "Location": "smsync.spec.model",
        "Credentials": "smsync.spec.project",
        "CredentialsError": "smsync.spec.project",
        "Project": "smsync.spec.project",
        "Safety": "smsync.spec.project",
        "load_project": "smsync.spec.project",
        "resolve_credentials": "smsync.spec.project",
    },
)

__all__ = [
    "Audience",
    "BroadcastSpec",
    "ContactSelector",
    "ContactSpec",
    "Credentials",
    "CredentialsError",
    "DesiredState",
    "GroupSpec",
    "Location",
    "Project",
    "Safety",
    "SpecErrors",
    "SpecProblem",
    "discover_spec_files",
    "load_desired_state",
    "load_project",
    "load_suppression",
    "resolve_credentials",
]
