"""What a browser keeps: static files for a year, asked for once; pages never."""

import pytest


@pytest.fixture
def reached(live_app):
    """The paths that reached the portal's server, in order."""
    paths, serve = [], live_app.wsgi_app

    def recording(environ, start_response):
        paths.append(environ["PATH_INFO"])
        return serve(environ, start_response)

    live_app.wsgi_app = recording
    return paths


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_second_page_asks_for_no_static_file_and_pages_are_never_kept(
    portal, reached, javascript
):
    page = portal.new_page(java_script_enabled=javascript)
    answers = []
    page.on("response", lambda answer: answers.append(answer))

    page.goto(portal.url("/request"))
    first = list(reached)
    reached.clear()
    for path in ("/track", "/organizations", "/request"):
        page.goto(portal.url(path))

    static = [path for path in first if path.startswith("/static/")]
    assert len(static) == (3 if javascript else 1), static  # with JavaScript, two scripts
    assert reached == ["/track", "/organizations", "/request"]
    for answer in answers:
        if "/static/" in answer.url:
            assert answer.headers["cache-control"] == "public, max-age=31536000, immutable"
        else:
            assert answer.headers["cache-control"] == "no-store", answer.url
