"""`smsync validate` refuses templates that are certain to fail, at the template's own line."""

from __future__ import annotations

from pathlib import Path

from tests.support.cli import run_cli

CONFIG = "version: 1\ngateway: {username: demo}\nspec: ['*.yaml']\n"
GROUP = "kind: Group\nname: Office\ncontacts:\n  - {name: Ani, mobile: '081234567890'}\n"


def write_project(root: Path, broadcast: str) -> None:
    (root / "smsync.yaml").write_text(CONFIG)
    (root / "spec.yaml").write_text(GROUP + "---\n" + broadcast)


def test_undefined_variable_is_reported_at_its_template_line(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        "kind: Broadcast\n"  # line 6 of spec.yaml
        "name: promo\n"
        "audience: {contacts: {groups: [Office]}}\n"
        "vars: {diskon: 20}\n"
        "template: |\n"  # line 10
        "  Halo {{ name }}, diskon {{ diskon }}%\n"
        "  sampai {{ sampai }}.\n",  # line 12
    )

    result = run_cli("validate", str(tmp_path))

    assert result.exit_code == 1
    assert "spec.yaml:12:" in result.stdout
    assert "'sampai'" in result.stdout and "vars" in result.stdout
    assert "'diskon'" not in result.stdout and "'name'" not in result.stdout


def test_undefined_variable_in_a_folded_template_points_at_its_line(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        "kind: Broadcast\n"
        "name: promo\n"
        "audience: {contacts: {groups: [Office]}}\n"
        "template: >-\n"  # line 9
        "  Halo {{ name }},\n"
        "  info {{ kontak }}\n",  # line 11
    )

    result = run_cli("validate", str(tmp_path))

    assert result.exit_code == 1
    assert "spec.yaml:11:" in result.stdout and "'kontak'" in result.stdout


def test_group_call_using_a_contact_field_is_refused(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        "kind: Broadcast\nname: promo\naudience: {group: Office}\nvia: group-call\n"
        "template: 'Halo {{ name }}'\n",
    )

    result = run_cli("validate", str(tmp_path))

    assert result.exit_code == 1
    assert "spec.yaml:10:" in result.stdout
    assert "group call" in result.stdout and "'name'" in result.stdout


def test_template_using_only_fields_vars_and_loop_names_passes(tmp_path: Path) -> None:
    write_project(
        tmp_path,
        "kind: Broadcast\n"
        "name: promo\n"
        "audience: {contacts: {groups: [Office]}}\n"
        "vars: {items: 'a,b'}\n"
        "template: \"{% for i in items.split(',') %}{{ i }}{% endfor %} {{ name | upper }}"
        ' {% set x = 1 %}{{ x }} {{ range(2) | list }}"\n',
    )

    result = run_cli("validate", str(tmp_path))

    assert result.exit_code == 0, result.output
