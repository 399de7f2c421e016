"""Two small fixes to the scripts of every page, so that pages load without errors.

1. Sphinx 7.4 adds each inline script registered by an extension twice, once with
   the file name None and once with '', which its own de-duplication treats as two
   scripts. Inline scripts that declare constants (sphinx-thebe's `const THEBE_JS_URL`)
   then throw "Identifier has already been declared" on every page. We keep the
   first of any inline scripts whose bodies are equal.
2. sphinx-book-theme sets the page's colour mode from localStorage, or to "" on a first
   visit, and pydata-sphinx-theme logs a console error for "" before falling back to
   "auto". We set "auto" first.
"""

SET_DEFAULT_MODE = (
    "if (!document.documentElement.dataset.mode) "
    '{ document.documentElement.dataset.mode = "auto"; }'
)


def drop_repeated_inline_scripts(app, pagename, templatename, context, doctree):
    scripts = context.get("script_files")
    if not scripts:
        return
    seen, kept = set(), []
    for script in scripts:
        body = getattr(script, "attributes", {}).get("body")
        if body is not None and not getattr(script, "filename", None):
            if body in seen:
                continue
            seen.add(body)
        kept.append(script)
    context["script_files"] = kept


def setup(app):
    app.add_js_file(None, body=SET_DEFAULT_MODE, priority=1)
    app.connect("html-page-context", drop_repeated_inline_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
