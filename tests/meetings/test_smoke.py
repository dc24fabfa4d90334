from tests.meetings.conftest import make_meeting


def test_pages_render(app, client, login, staff, department, resident):
    m = make_meeting(department, agenda=3)
    assert client.get("/meetings/").status_code == 200
    r = client.get(f"/meetings/{m.id}")
    assert r.status_code == 200, r.data
    login(staff)
    for path in [f"/meetings/{m.id}", f"/meetings/{m.id}/edit", f"/meetings/{m.id}/attendees", "/meetings/new",
                 "/meetings/polls/new", "/meetings/polls", f"/meetings/{m.id}/translate/fr", "/meetings/mine",
                 f"/meetings/{m.id}.ics", "/meetings/feeds/all.ics"]:
        r = client.get(path)
        assert r.status_code == 200, (path, r.data[:3000])
