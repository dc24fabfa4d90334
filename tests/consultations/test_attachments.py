"""Documents and the cover image: type by content, size limit, clean names, safe serving."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from civic.consultations import uploads
from civic.consultations.models import Attachment, AttachmentPurpose, Consultation
from civic.extensions import db
from tests.consultations.conftest import (
    JPEG_BYTES,
    PDF_BYTES,
    PNG_BYTES,
    WEBP_BYTES,
    docx_bytes,
    make_consultation,
    odt_bytes,
    plain_zip_bytes,
    upload,
)


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (PDF_BYTES, uploads.PDF),
        (PNG_BYTES, uploads.PNG),
        (JPEG_BYTES, uploads.JPEG),
        (WEBP_BYTES, uploads.WEBP),
        (odt_bytes(), uploads.ODT),
        (docx_bytes(), uploads.DOCX),
        (plain_zip_bytes(), None),
        (b"<html><script>alert(1)</script>", None),
        (b"MZ\x90\x00 an executable", None),
    ],
)
def test_type_comes_from_content(data, kind):
    assert uploads.detect_type(data) == kind


@pytest.mark.parametrize(
    ("name", "kind", "want"),
    [
        ("../../etc/passwd.pdf", uploads.PDF, "passwd.pdf"),
        ("C:\\Users\\me\\Plan <final>.pdf", uploads.PDF, "Plan -final.pdf"),
        ("خطة المدينة.pdf", uploads.PDF, "خطة المدينة.pdf"),
        ("map.PNG", uploads.PNG, "map.png"),
        ("no extension", uploads.DOCX, "no extension.docx"),
        ("...", uploads.ODT, "document.odt"),
        ("a\x00b\x1f.pdf", uploads.PDF, "a-b.pdf"),
    ],
)
def test_clean_filename(name, kind, want):
    assert uploads.clean_filename(name, kind) == want


def _add(client, cid, data, name, title="Plan of the lanes", language="fr", purpose=None):
    url = f"/consultations/{cid}/documents/new" + ("?for=report" if purpose == "report" else "")
    return client.post(
        url,
        data={"file": upload(data, name), "title": title, "language": language},
        content_type="multipart/form-data",
    )


def test_a_real_pdf_is_stored_safely_and_served_as_a_download(client, login, department, staff, upload_folder, app):
    c = make_consultation(department, "open")
    login(staff)
    response = _add(client, c.id, PDF_BYTES, "../../Plan des pistes.pdf")
    assert response.status_code == 302
    a = db.session.execute(select(Attachment)).scalar_one()
    assert a.filename == "Plan des pistes.pdf"
    assert a.content_type == uploads.PDF and a.language == "fr" and a.size_bytes == len(PDF_BYTES)
    assert a.stored_name.endswith(".pdf") and "Plan" not in a.stored_name
    stored = upload_folder / "consultations" / a.stored_name
    assert stored.read_bytes() == PDF_BYTES
    assert not str(stored).startswith(app.static_folder)

    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert 'hreflang="fr"' in page and "PDF document" in page
    download = client.get(f"/consultations/{c.id}/documents/{a.id}/{a.filename}")
    assert download.status_code == 200
    assert download.data == PDF_BYTES
    assert download.headers["Content-Type"] == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert "Plan" in download.headers["Content-Disposition"]
    assert download.headers["X-Content-Type-Options"] == "nosniff"


def test_a_pdf_that_is_really_a_png_is_refused(client, login, department, staff, upload_folder):
    c = make_consultation(department, "open")
    login(staff)
    response = _add(client, c.id, PNG_BYTES, "budget.pdf")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "There is a problem" in page
    assert "named as a PDF document but its content is a PNG image" in page
    assert db.session.execute(select(Attachment)).first() is None
    assert not (upload_folder / "consultations").exists() or not os.listdir(upload_folder / "consultations")


def test_unknown_content_is_refused_whatever_its_name(client, login, department, staff):
    c = make_consultation(department, "open")
    login(staff)
    for data, name in ((b"<script>alert(1)</script>", "notes.pdf"), (plain_zip_bytes(), "letter.docx"), (b"MZ\x90", "tool.exe")):
        response = _add(client, c.id, data, name)
        assert response.status_code == 400
        assert "content is not one of the accepted types" in response.get_data(as_text=True)
    assert db.session.execute(select(Attachment)).first() is None


def test_office_documents_are_accepted(client, login, department, staff):
    c = make_consultation(department, "open")
    login(staff)
    assert _add(client, c.id, odt_bytes(), "avis.odt", title="Avis").status_code == 302
    assert _add(client, c.id, docx_bytes(), "opinion", title="Opinion", language="en").status_code == 302
    rows = list(db.session.execute(select(Attachment).order_by(Attachment.id)).scalars())
    assert [(r.content_type, r.filename) for r in rows] == [(uploads.ODT, "avis.odt"), (uploads.DOCX, "opinion.docx")]


def test_an_oversized_file_gets_a_clear_form_error(client, login, department, staff, app, monkeypatch):
    monkeypatch.setitem(app.config, "ATTACHMENT_MAX_BYTES", 1024)
    c = make_consultation(department, "open")
    login(staff)
    response = _add(client, c.id, PDF_BYTES + b"0" * 2000, "big.pdf")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "The file is larger than 1 kB. Choose a smaller file." in page
    assert 'aria-invalid="true"' in page
    assert 'value="Plan of the lanes"' in page  # what was typed is kept


def test_missing_file_is_a_form_error(client, login, department, staff):
    c = make_consultation(department, "open")
    login(staff)
    response = client.post(f"/consultations/{c.id}/documents/new", data={"title": "x", "language": "en"},
                           content_type="multipart/form-data")
    assert response.status_code == 400
    assert "Choose a file." in response.get_data(as_text=True)


def test_deleting_a_document_removes_the_file(client, login, department, staff, upload_folder):
    c = make_consultation(department, "open")
    login(staff)
    _add(client, c.id, PDF_BYTES, "plan.pdf")
    a = db.session.execute(select(Attachment)).scalar_one()
    path = upload_folder / "consultations" / a.stored_name
    assert path.exists()
    assert client.post(f"/consultations/{c.id}/documents/{a.id}/delete").status_code == 302
    assert db.session.execute(select(Attachment)).first() is None
    assert not path.exists()


def test_report_documents_stay_private_until_concluded(client, login, department, staff, resident, clock):
    c = make_consultation(department, "closed", report="<p>Draft report</p>")
    login(staff)
    assert _add(client, c.id, PDF_BYTES, "report.pdf", title="Full report", purpose="report").status_code == 302
    a = db.session.execute(select(Attachment)).scalar_one()
    assert a.purpose == AttachmentPurpose.REPORT
    url = f"/consultations/{c.id}/documents/{a.id}/{a.filename}"
    assert client.get(url).status_code == 200  # staff preview
    login(resident)
    assert client.get(url).status_code == 404
    assert "Full report" not in client.get(f"/consultations/{c.id}").get_data(as_text=True)

    login(staff)
    assert client.post(f"/consultations/{c.id}/report/publish").status_code == 302
    login(resident)
    assert client.get(url).status_code == 200
    assert "Full report" in client.get(f"/consultations/{c.id}").get_data(as_text=True)


def test_documents_of_a_draft_are_hidden(client, login, department, staff, resident):
    c = make_consultation(department, "draft")
    login(staff)
    _add(client, c.id, PDF_BYTES, "plan.pdf")
    a = db.session.execute(select(Attachment)).scalar_one()
    login(resident)
    assert client.get(f"/consultations/{c.id}/documents/{a.id}/{a.filename}").status_code == 404


def test_cover_image_needs_alternative_text(client, login, department, staff):
    c = make_consultation(department, "open")
    login(staff)
    response = client.post(
        f"/consultations/{c.id}/cover/edit",
        data={"image": upload(PNG_BYTES, "river.png"), "alt": ""},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert db.session.get(Consultation, c.id).cover_image is None

    response = client.post(
        f"/consultations/{c.id}/cover/edit",
        data={"image": upload(PDF_BYTES, "river.pdf"), "alt": "The river bank"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "content is not one of the accepted types" in response.get_data(as_text=True)

    response = client.post(
        f"/consultations/{c.id}/cover/edit",
        data={"image": upload(JPEG_BYTES, "river.jpg"), "alt": "The river bank at sunset, with a narrow path"},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    page = client.get(f"/consultations/{c.id}").get_data(as_text=True)
    assert 'alt="The river bank at sunset, with a narrow path"' in page
    image = client.get(f"/consultations/{c.id}/cover")
    assert image.status_code == 200 and image.headers["Content-Type"] == "image/jpeg"
    assert image.headers["X-Content-Type-Options"] == "nosniff"
    assert image.data == JPEG_BYTES
