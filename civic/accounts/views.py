from flask import Blueprint

from civic.core.permissions import allow_anyone, object_permission

bp = Blueprint("accounts", __name__, template_folder="templates")


@bp.route("/sign-in", methods=["GET", "POST"])
@allow_anyone
def login():
    return "login"


@bp.route("/register", methods=["GET", "POST"])
@allow_anyone
def register():
    return "register"


@bp.post("/sign-out")
@allow_anyone
def logout():
    return "logout"


@bp.get("/people/<int:user_id>")
@object_permission
def profile(user_id):
    return "profile"
