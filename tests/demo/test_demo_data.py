from sqlalchemy import func, select

from civic.accounts.models import Department, Role, User


def test_demo_data_builds_a_city_once(app, session):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo-data"])
    assert result.exit_code == 0, result.output
    assert "Demo city ready" in result.output
    people = session.execute(select(func.count()).select_from(User)).scalar_one()
    assert people >= 20
    assert session.execute(select(func.count()).select_from(Department)).scalar_one() >= 4
    roles = set(session.execute(select(User.role)).scalars())
    assert {Role.ADMIN, Role.MODERATOR, Role.RESIDENT} <= roles
    locales = set(session.execute(select(User.locale)).scalars())
    assert {"fr", "en", "es", "ar"} <= locales
    # --if-empty leaves a filled database alone; without it the command refuses.
    again = runner.invoke(args=["demo-data", "--if-empty"])
    assert again.exit_code == 0 and "not loaded" in again.output
    refused = runner.invoke(args=["demo-data"])
    assert refused.exit_code != 0
    assert session.execute(select(func.count()).select_from(User)).scalar_one() == people


def test_demo_departments_have_multilingual_names(app, session):
    app.test_cli_runner().invoke(args=["demo-data"])
    dept = session.execute(select(Department).where(Department.slug == "urban-planning")).scalar_one()
    assert dept.name_for("ar") == ("التخطيط العمراني", "ar")
    culture = session.execute(select(Department).where(Department.slug == "culture")).scalar_one()
    # No Arabic name: falls back to the department's default language, and says which.
    assert culture.name_for("ar") == ("Culture et patrimoine", "fr")
