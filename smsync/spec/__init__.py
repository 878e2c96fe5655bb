"""The spec layer: YAML files + JSON Schemas -> typed desired state, with file:line errors."""

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

__all__ = [
    "Audience", "BroadcastSpec", "ContactSelector", "ContactSpec", "Credentials",
    "CredentialsError", "DesiredState", "GroupSpec", "Location", "Project", "Safety",
    "SpecErrors", "SpecProblem", "discover_spec_files", "load_desired_state", "load_project",
    "load_suppression", "resolve_credentials",
]
