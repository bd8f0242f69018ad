"""One rule for answering htmx requests with a partial."""

from flask import make_response, redirect, render_template, request


def wants_partial() -> bool:
    """An htmx swap, not a boosted navigation and not a history restore, gets the partial."""
    return (
        bool(request.htmx) and not request.htmx.boosted and not request.htmx.history_restore_request
    )


def render(full_template: str, partial_template: str, status: int = 200, **context):
    """Render the whole page, or just its partial for an htmx request."""
    template = partial_template if wants_partial() else full_template
    response = make_response(render_template(template, **context), status)
    response.vary.add("HX-Request")
    return response


def navigate(location: str):
    """Send the browser to another page: 303, or for htmx a full navigation (HX-Redirect).

    htmx would follow a 303 itself and swap the whole next page into the
    target, nesting a page inside the page.
    """
    if wants_partial():
        response = make_response("", 204)
        response.headers["HX-Redirect"] = location
        return response
    return redirect(location, 303)
