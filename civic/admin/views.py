from flask import Blueprint

from civic.core.permissions import allow, is_admin

bp = Blueprint("admin", __name__, template_folder="templates", url_prefix="/admin")


@bp.get("/")
@allow(is_admin)
def index():
    return "admin"
