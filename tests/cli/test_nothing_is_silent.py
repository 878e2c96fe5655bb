"""Mistakes that used to end in a quiet "ok" or "no changes": each now says what is wrong.

Driven through the real command line, against the sandbox gateway over HTTP where a gateway
is involved.
"""

from __future__ import annotations

from pathlib import Path

from smsync.sandbox import SandboxServer
from tests.support.cli import run_cli
from tests.support.project import Project, contact, group


def broadcast(
    name: str, template: str, audience: dict[str, object], **extra: object
) -> dict[str, object]:
    return {"name": name, "audience": audience, "template": template, **extra}


def write_with_broadcasts(project: Project, *broadcasts: dict[str, object]) -> None:
    project.write_groups(group("Sales", [contact(1), contact(2)]), group("Office", [contact(3)]))
    project.write_documents(
        "groups/zz-broadcasts.yaml", [{"kind": "Broadcast", **b} for b in broadcasts]
    )


def test_audience_group_neither_declared_nor_on_the_gateway_names_the_closest(
    project: Project,
) -> None:
    write_with_broadcasts(
        project, broadcast("promo", "Halo {{ name }}", {"contacts": {"groups": ["Saless"]}})
    )

    result = project.plan()

    assert result.exit_code == 1, result.output
    assert "'Saless'" in result.stderr and "did you mean 'Sales'" in result.stderr
    assert "Traceback" not in result.output


def test_group_send_to_a_group_that_exists_nowhere_is_an_error(project: Project) -> None:
    write_with_broadcasts(project, broadcast("promo", "Halo semua", {"group": "Ofice"}))

    result = project.plan()

    assert result.exit_code == 1, result.output
    assert "'Ofice'" in result.stderr and "did you mean 'Office'" in result.stderr


def test_audience_group_only_on_the_gateway_is_still_planned(
    project: Project, sandbox: SandboxServer
) -> None:
    project.write_groups(group("Elsewhere", [contact(5)]))
    assert project.apply().exit_code == 0
    write_with_broadcasts(project, broadcast("promo", "Halo semua", {"group": "Elsewhere"}))

    result = project.plan()

    assert result.exit_code == 2, result.output + result.stderr


def test_validate_outside_a_project_refuses(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not a spec\n")

    result = run_cli("validate", str(tmp_path))

    assert result.exit_code == 1
    assert "no smsync.yaml" in result.stderr and "smsync init" in result.stderr
    assert "ok:" not in result.stdout


def test_status_of_a_project_that_never_sent_says_so_and_succeeds(project: Project) -> None:
    result = project.run("status", str(project.root))

    assert result.exit_code == 0, result.output
    assert "No broadcasts sent yet" in result.stdout


def test_number_outside_the_phonebook_cannot_fill_a_name_placeholder(project: Project) -> None:
    write_with_broadcasts(
        project,
        broadcast("promo", "Halo {{ name }}", {"contacts": {"numbers": ["081299990000"]}}),
    )

    result = project.plan()

    assert result.exit_code == 1, result.output
    assert "not in the phonebook" in result.stderr and "{{ name }}" in result.stderr
    assert "081299990000" not in result.stderr  # masked


def test_number_outside_the_phonebook_with_a_default_is_planned(project: Project) -> None:
    template = "Halo {{ name | default('Pelanggan') }}, nomor {{ mobile }}"
    write_with_broadcasts(
        project, broadcast("promo", template, {"contacts": {"numbers": ["081299990000"]}})
    )

    result = project.plan()

    assert result.exit_code == 2, result.output + result.stderr


def test_field_no_recipient_has_a_value_for_is_an_error_naming_them(project: Project) -> None:
    write_with_broadcasts(
        project,
        broadcast("promo", "Diskon untuk {{ desc }}.", {"contacts": {"groups": ["Sales"]}}),
    )

    result = project.plan()

    assert result.exit_code == 1, result.output
    assert "'desc'" in result.stderr and "no recipient" in result.stderr
    assert "0812*****001" in result.stderr


def test_where_on_a_field_the_spec_leaves_unmanaged_says_so(project: Project) -> None:
    write_with_broadcasts(
        project,
        broadcast(
            "promo",
            "Halo {{ name }}",
            {"contacts": {"groups": ["Sales"], "where": {"desc": ["Gold"]}}},
        ),
    )

    result = project.plan()

    assert "where: desc" in result.stdout and "unmanaged" in result.stdout, result.output


def test_validate_of_spec_files_without_smsync_yaml_refuses(tmp_path: Path) -> None:
    # A directory of YAML that is not a project (say, a Kubernetes repository): validate must
    # not walk it and call whatever parses "ok".
    (tmp_path / "groups").mkdir()
    (tmp_path / "groups" / "office.yaml").write_text(
        "kind: Group\nname: Office\ncontacts:\n  - {name: Ani, mobile: '081234567890'}\n"
    )

    result = run_cli("validate", str(tmp_path))

    assert result.exit_code == 1, result.output
    assert "no smsync.yaml" in result.stderr and "smsync init" in result.stderr
    assert "ok:" not in result.stdout


def test_validate_of_a_folder_inside_a_project_validates_that_project(project: Project) -> None:
    project.write_groups(group("Office", [contact(1)]))

    result = run_cli("validate", str(project.root / "groups"))

    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: 1 group")
    assert str(project.root.resolve()) in result.stdout
