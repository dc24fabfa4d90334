def set_locale(user, code, actor):
    user.locale = code
