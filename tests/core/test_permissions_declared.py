"""Every view states its permission decision, so no page can forget one."""

from civic.core.permissions import PERMISSION_ATTR


def test_every_url_rule_has_an_explicit_permission_decision(app):
    missing = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if not getattr(view, PERMISSION_ATTR, None):
            missing.append(f"{rule.rule} -> {rule.endpoint}")
    assert not missing, (
        "These views have no permission decorator (@allow, @allow_anyone or "
        "@object_permission from civic.core.permissions): " + ", ".join(sorted(missing))
    )


def test_allow_redirects_anonymous_to_sign_in_and_refuses_others(app, client, login, resident):
    # /admin/ is for administrators only.
    anonymous = client.get("/admin/")
    assert anonymous.status_code == 302
    assert "/sign-in" in anonymous.headers["Location"]
    login(resident)
    assert client.get("/admin/").status_code == 403
