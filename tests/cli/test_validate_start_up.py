"""What `smsync validate` loads: it reads files and never the network, so it imports no HTTP
client nor sandbox; the template engine only for a spec with broadcasts, the carrier data only
for a routing rule that names an operator, jsonschema only for a document that is not valid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

NETWORK = ("requests", "urllib3", "http.client", "smsync.gateway.client", "smsync.sandbox")


def validate_loads(project: Path) -> set[str]:
    """The modules a fresh interpreter holds after `smsync validate PROJECT` succeeded."""
    probe = (
        "import sys\nfrom smsync.cli import main\n"
        f"sys.argv = ['smsync', 'validate', {str(project)!r}]\n"
        "try:\n    main()\nexcept SystemExit as e:\n    assert not e.code, e.code\n"
        "print('\\n'.join(sys.modules), file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert done.stdout.startswith("ok: 1 group, 2 contacts"), done.stdout
    return set(done.stderr.split())


def write_project(root: Path, smsync_yaml: str, extra: str = "") -> Path:
    root.mkdir()
    (root / "smsync.yaml").write_text(smsync_yaml)
    (root / "teman.csv").write_text("name,mobile\nBudi,081234567890\nAni,081234567891\n")
    (root / "teman.yaml").write_text("kind: Group\nname: Teman\ncontacts_file: teman.csv\n" + extra)
    return root


def test_validate_loads_no_http_client_template_engine_carrier_data_or_jsonschema(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path / "p", "version: 1\ngateway:\n  endpoint: https://gw.example\n  username: t\n"
    )

    loaded = validate_loads(project)

    assert "smsync.spec.loader" in loaded  # the spec was read
    unused = (*NETWORK, "jinja2", "phonenumbers.carrier", "jsonschema")
    assert not {m for m in loaded if m.startswith(unused)}


def test_validate_loads_what_broadcasts_and_operator_rules_need_and_no_network(
    tmp_path: Path,
) -> None:
    project = write_project(
        tmp_path / "p",
        "version: 1\ngateway:\n  endpoint: https://gw.example\n  username: t\n"
        "  accounts:\n    - name: tsel\n      username: t2\n      operators: [Telkomsel]\n",
        "---\nkind: Broadcast\nname: Halo\naudience: {group: Teman}\ntemplate: 'Halo {{ name }}'\n",
    )

    loaded = validate_loads(project)

    assert {"jinja2", "phonenumbers.carrierdata"} <= loaded
    assert not {m for m in loaded if m.startswith(NETWORK)}
