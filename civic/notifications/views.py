from flask import Blueprint

from civic.core.permissions import allow, is_signed_in

bp = Blueprint("notifications", __name__, template_folder="templates", url_prefix="/notifications")


@bp.get("/")
@allow(is_signed_in)
def index():
    return "notifications"
