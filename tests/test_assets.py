"""Static files: hashed names that change with their content, compressed copies, a
year's caching, and every address a template links to answers."""

import gzip
import re
from pathlib import Path

import brotli
import pytest

from portal import assets
from portal.assets import asset_url

from portal_testing.static import STATIC, unhashed

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("/", "/request", "/track", "/organizations", "/safety")
FOREVER = "public, max-age=31536000, immutable"


def test_a_files_address_changes_when_its_content_does(tmp_path):
    (tmp_path / "css").mkdir()
    stylesheet = tmp_path / "css" / "site.css"
    stylesheet.write_text("body { color: black }")
    before = assets.manifest(tmp_path)["css/site.css"]

    stylesheet.write_text("body { color: navy }")
    after = assets.manifest(tmp_path)["css/site.css"]
    stylesheet.write_text("body { color: black }")
    again = assets.manifest(tmp_path)["css/site.css"]

    assert re.fullmatch(r"css/site\.[0-9a-f]{16}\.css", before)
    assert after != before
    assert again == before


def test_the_build_writes_each_file_with_copies_that_open_to_the_same_bytes(tmp_path):
    source, folder = tmp_path / "source", tmp_path / "built"
    (source / "js").mkdir(parents=True)
    large, small = b"let x = 1;\n" * 200, b"let y = 2;"
    (source / "js" / "large.js").write_bytes(large)
    (source / "js" / "small.js").write_bytes(small)
    names = assets.manifest(source)

    assets.build(names, folder, source)
    assets.build(names, folder, source)  # built already: nothing changes

    built = folder / names["js/large.js"]
    assert built.read_bytes() == large
    assert gzip.decompress(Path(f"{built}.gz").read_bytes()) == large
    assert brotli.decompress(Path(f"{built}.br").read_bytes()) == large
    tiny = folder / names["js/small.js"]
    assert tiny.read_bytes() == small
    assert not Path(f"{tiny}.br").exists()  # too small to be worth compressing
    leftovers = [path.name for path in folder.rglob(".building-*")]
    assert leftovers == []


def test_every_asset_a_template_names_exists():
    shipped = assets.manifest()
    named = {
        name
        for template in (ROOT / "templates").rglob("*.html")
        for name in re.findall(r"asset_url\(\s*'([^']+)'\s*\)", template.read_text())
    }

    assert named, "no template names a static file"
    assert named <= set(shipped), named - set(shipped)
    # Nothing links to a static file around asset_url.
    for template in (ROOT / "templates").rglob("*.html"):
        assert "url_for('static'" not in template.read_text(), template


@pytest.mark.parametrize("path", PAGES)
def test_every_file_a_page_links_to_is_served_for_a_year(client, path):
    addresses = STATIC.findall(client.get(path).get_data(as_text=True))

    assert addresses, f"{path} links to no static file"
    for address in addresses:
        answer = client.get(address)
        assert answer.status_code == 200, address
        assert answer.headers["Cache-Control"] == FOREVER
        assert answer.data == (ROOT / "portal" / "static" / unhashed(address)).read_bytes()
        answer.close()


@pytest.mark.parametrize(("accepted", "encoding"), [("gzip, deflate, br", "br"), ("gzip", "gzip")])
def test_static_files_come_compressed_as_the_browser_accepts(client, accepted, encoding):
    address = asset_url("js/htmx-2.0.11.min.js", client.application)
    original = (ROOT / "portal" / "static" / "js" / "htmx-2.0.11.min.js").read_bytes()

    answer = client.get(address, headers={"Accept-Encoding": accepted})
    body = answer.data
    answer.close()
    plain = client.get(address)
    plain_body = plain.data
    plain.close()

    assert answer.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in answer.headers["Vary"]
    opened = brotli.decompress(body) if encoding == "br" else gzip.decompress(body)
    assert opened == original
    assert len(body) < len(original) / 2
    assert "Content-Encoding" not in plain.headers
    assert plain_body == original


def test_a_name_that_is_not_this_versions_is_not_found(client):
    current = asset_url("css/portal.css", client.application)
    for address in ("/static/css/portal.css", "/static/css/portal.0000000000000000.css"):
        answer = client.get(address)
        assert answer.status_code == 404, address
        assert answer.headers["Cache-Control"] == "no-store"
    served = client.get(current)
    served.close()
    assert served.status_code == 200


def test_the_files_are_built_in_the_instance_folder_unless_told_otherwise(tmp_path):
    from portal_testing import AS_SHIPPED, make_app

    app = make_app(tmp_path, STATIC_BUILD_FOLDER=AS_SHIPPED)
    built = Path(app.instance_path) / "static" / app.extensions["assets"]["css/portal.css"]

    assert built.is_file()
    assert Path(f"{built}.br").is_file()
    response = app.test_client().get(asset_url("css/portal.css", app))
    assert response.status_code == 200
    response.close()
