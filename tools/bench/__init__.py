"""``make bench``: build a database at a chosen size, serve Civic with gunicorn, measure.

Modules: ``presets`` (sizes), ``build`` (fast bulk data builder), ``floor`` (the minimal
reference app), ``serve`` (gunicorn processes), ``load`` (wrk or a bounded Python load
generator), ``pages`` (what is measured, sign-in, CSRF tokens, query counts), ``__main__``
(the command). Everything runs on 127.0.0.1 and stops by itself.
"""
