"""meetings/demo.py builds a demo agenda through the services (R24, R27, R28 content)."""

from __future__ import annotations

import pytest

from meetings import demo

pytestmark = pytest.mark.django_db


def test_demo_agenda(org, settings, tmp_path, client):
    settings.PROTECTED_FILES_ROOT = tmp_path
    m = demo.demo_agenda(org.body, org.secretary)
    assert m.status == "convened" and m.items.count() == 4
    assert m.items.filter(method="e_procedure", status="e_open").count() == 1
    html = client.get(f"/julkinen/kokoukset/{m.pk}/").content.decode()
    assert "Salassa pidettävä asia" in html and "Tarjousvertailu" not in html


def test_demo_agenda_for_a_council(council, settings, tmp_path):
    settings.PROTECTED_FILES_ROOT = tmp_path
    m = demo.demo_agenda(council.body, council.secretary)
    assert m.is_public and m.items.count() == 3
