"""Profile photos through the API and the pages: uploads checked by content, re-encoded without
metadata, refused with a clear problem and no change, and shown only to who may see the member."""

from __future__ import annotations

import io
import os
import struct
import zlib
from typing import Any

import pytest
from PIL import ExifTags, Image
from starlette.testclient import TestClient

from tests.helpers import (
    BLOCKS,
    Browser,
    connect_people,
    csrf_token_of,
    fields_of,
    page_text,
    people,
    problem_of,
)

ME = "/api/v1/members/me"
PHOTO = "/api/v1/members/me/photo"
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
RED, BLUE = (220, 20, 20), (20, 20, 220)


def image_bytes(
    format: str = "PNG",  # noqa: A002 - Pillow's own name for it
    *,
    size: tuple[int, int] = (400, 300),
    exif: Image.Exif | None = None,
) -> bytes:
    """An image whose left half is red and right half blue, in the given format."""
    image = Image.new("RGB", size, RED)
    image.paste(BLUE, (size[0] // 2, 0, size[0], size[1]))
    out = io.BytesIO()
    options: dict[str, Any] = {"exif": exif} if exif is not None else {}
    image.save(out, format=format, **options)
    return out.getvalue()


def declaring(width: int, height: int) -> bytes:
    """A tiny PNG whose header declares `width` × `height` pixels: a decompression bomb's shape."""
    png = image_bytes("PNG", size=(1, 1))
    # The signature (8 bytes), then IHDR: length, type, 13 bytes of data, CRC.
    data = struct.pack(">II", width, height) + png[24:29]
    ihdr = png[8:16] + data + struct.pack(">I", zlib.crc32(b"IHDR" + data))
    return png[:8] + ihdr + png[33:]


def put_photo(client: TestClient, headers: dict[str, str], content: bytes, media_type: str) -> Any:
    return client.put(PHOTO, content=content, headers={**headers, "Content-Type": media_type})


def served(client: TestClient, url: str, headers: dict[str, str] | None = None) -> Image.Image:
    """The photo at `url`, after checking it is served as a WebP image."""
    response = client.get(url, headers=headers or {})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "image/webp"
    image = Image.open(io.BytesIO(response.content))
    assert image.format == "WEBP"
    return image


def small_url(url: str) -> str:
    return url.replace("/256.webp", "/96.webp")


def near(pixel: Any, colour: tuple[int, int, int]) -> bool:
    return all(abs(a - b) < 40 for a, b in zip(pixel, colour, strict=True))


# Uploading through the API


@pytest.mark.parametrize("format", ["JPEG", "PNG", "WEBP"])
def test_each_accepted_type_becomes_the_members_photo_in_two_squares(
    client: TestClient,
    format: str,  # noqa: A002
) -> None:
    [ana] = people(client, "Ana Ruiz")
    assert client.get(ME, headers=ana.headers).json()["photo_url"] is None
    response = put_photo(
        client, ana.headers, image_bytes(format, size=(1000, 600)), MEDIA_TYPES[format]
    )
    assert response.status_code == 200, response.text
    url = response.json()["photo_url"]
    assert url.startswith(f"/photos/{ana.id}/")
    assert url.endswith("/256.webp")
    assert client.get(ME, headers=ana.headers).json()["photo_url"] == url
    assert served(client, url, ana.headers).size == (256, 256)
    assert served(client, small_url(url), ana.headers).size == (96, 96)


def test_the_photo_is_cropped_to_its_centre_and_keeps_its_colours(client: TestClient) -> None:
    [ana] = people(client, "Ana Ruiz")
    response = put_photo(client, ana.headers, image_bytes("PNG", size=(900, 300)), "image/png")
    photo = served(client, response.json()["photo_url"], ana.headers).convert("RGB")
    # The centred square of a red-then-blue strip: red on its left, blue on its right.
    assert near(photo.getpixel((30, 128)), RED)
    assert near(photo.getpixel((226, 128)), BLUE)


def test_gps_and_camera_metadata_are_gone_and_the_orientation_applied(
    client: TestClient,
) -> None:
    [ana] = people(client, "Ana Ruiz")
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Camera Maker"
    exif[ExifTags.Base.Orientation] = 6  # shown turned a quarter clockwise
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (40.0, 25.0, 1.0),
        ExifTags.GPS.GPSLongitudeRef: "W",
        ExifTags.GPS.GPSLongitude: (3.0, 42.0, 2.0),
    }
    upload = image_bytes("JPEG", size=(400, 200), exif=exif)
    sent = Image.open(io.BytesIO(upload)).getexif()
    assert sent.get_ifd(ExifTags.IFD.GPSInfo), "the upload carries a position"
    assert b"Camera Maker" in upload

    response = put_photo(client, ana.headers, upload, "image/jpeg")
    assert response.status_code == 200, response.text
    for url in (response.json()["photo_url"], small_url(response.json()["photo_url"])):
        raw = client.get(url, headers=ana.headers).content
        stored = Image.open(io.BytesIO(raw))
        assert "exif" not in stored.info
        assert not stored.getexif()
        assert b"Camera Maker" not in raw
        assert b"Exif" not in raw
    # Upright: the strip's left (red) is now its top, its right (blue) its bottom.
    photo = served(client, response.json()["photo_url"], ana.headers).convert("RGB")
    assert near(photo.getpixel((200, 30)), RED)
    assert near(photo.getpixel((60, 226)), BLUE)


def test_a_transparent_png_is_shown_on_white(client: TestClient) -> None:
    [ana] = people(client, "Ana Ruiz")
    image = Image.new("RGBA", (100, 100), (0, 0, 0, 0))
    out = io.BytesIO()
    image.save(out, format="PNG")
    response = put_photo(client, ana.headers, out.getvalue(), "image/png")
    photo = served(client, response.json()["photo_url"], ana.headers).convert("RGB")
    assert near(photo.getpixel((128, 128)), (255, 255, 255))


def test_a_new_photo_gets_a_new_address_and_the_old_one_is_gone(client: TestClient) -> None:
    [ana] = people(client, "Ana Ruiz")
    first = put_photo(client, ana.headers, image_bytes("PNG"), "image/png").json()["photo_url"]
    second = put_photo(client, ana.headers, image_bytes("PNG", size=(50, 80)), "image/png")
    assert second.json()["photo_url"] != first
    assert client.get(first, headers=ana.headers).status_code == 404
    served(client, second.json()["photo_url"], ana.headers)


def test_removing_the_photo_brings_back_the_initial(client: TestClient) -> None:
    [ana] = people(client, "Ana Ruiz")
    url = put_photo(client, ana.headers, image_bytes("PNG"), "image/png").json()["photo_url"]
    assert client.delete(PHOTO, headers=ana.headers).status_code == 204
    assert client.get(ME, headers=ana.headers).json()["photo_url"] is None
    assert client.get(url, headers=ana.headers).status_code == 404
    # Removing none is no error.
    assert client.delete(PHOTO, headers=ana.headers).status_code == 204


# Refusals: a clear problem, and nothing changed


def _refused_and_unchanged(
    client: TestClient, content: bytes, media_type: str, status: int, slug: str
) -> dict[str, Any]:
    """Upload a photo, then `content`: refused as said, the first photo still in place."""
    [ana] = people(client, "Ana Ruiz")
    before = put_photo(client, ana.headers, image_bytes("PNG"), "image/png").json()["photo_url"]
    problem = problem_of(put_photo(client, ana.headers, content, media_type), status, slug=slug)
    assert client.get(ME, headers=ana.headers).json()["photo_url"] == before
    served(client, before, ana.headers)
    return problem


def test_a_body_that_is_not_an_image_is_refused(client: TestClient) -> None:
    problem = _refused_and_unchanged(
        client, b"not an image at all", "image/png", 422, "photo-not-readable"
    )
    assert fields_of(problem) == ["body"]


def test_a_damaged_image_is_refused(client: TestClient) -> None:
    whole = image_bytes("JPEG", size=(600, 600))
    _refused_and_unchanged(
        client, whole[: len(whole) // 2], "image/jpeg", 422, "photo-not-readable"
    )


def test_an_image_of_a_type_not_accepted_is_refused_by_its_content(client: TestClient) -> None:
    gif = image_bytes("GIF")
    _refused_and_unchanged(client, gif, "image/png", 422, "photo-not-readable")


def test_a_png_labelled_jpeg_is_refused(client: TestClient) -> None:
    problem = _refused_and_unchanged(
        client, image_bytes("PNG"), "image/jpeg", 422, "photo-type-mismatch"
    )
    assert fields_of(problem) == ["body"]
    assert "image/png" in problem["detail"]
    assert "image/jpeg" in problem["detail"]


@pytest.mark.parametrize("media_type", ["image/gif", "text/plain", "application/octet-stream"])
def test_a_content_type_not_accepted_is_a_415(client: TestClient, media_type: str) -> None:
    _refused_and_unchanged(client, image_bytes("PNG"), media_type, 415, "photo-type-not-accepted")


def test_a_6_mb_image_is_a_413(client: TestClient) -> None:
    # Noise does not compress: a PNG of 1500 × 1400 noisy pixels is about 6.3 MB.
    noise = Image.frombytes("RGB", (1500, 1400), os.urandom(1500 * 1400 * 3))
    out = io.BytesIO()
    noise.save(out, format="PNG", compress_level=0)
    assert len(out.getvalue()) > 6_000_000
    _refused_and_unchanged(client, out.getvalue(), "image/png", 413, "too-large")


def test_a_body_just_over_the_photo_limit_is_a_413_naming_the_photo_limit(
    client: TestClient,
) -> None:
    # Within what the route lets through for a form's other fields, over what a photo may be.
    content = image_bytes("PNG") + b"\0" * (5 * 1024 * 1024)
    problem = _refused_and_unchanged(client, content, "image/png", 413, "photo-too-large")
    assert "5 MB" in problem["detail"]


def test_other_routes_keep_the_ordinary_body_limit(client: TestClient) -> None:
    [ana] = people(client, "Ana Ruiz")
    response = client.patch(
        ME,
        content=b"{" + b" " * (2 * 1024 * 1024) + b"}",
        headers={**ana.headers, "Content-Type": "application/json"},
    )
    problem_of(response, 413, slug="too-large")


@pytest.mark.parametrize(
    ("width", "height"),
    [
        (20_000, 20_000),  # Pillow's own bomb limit
        (8_000, 6_000),  # past the product's 40 million pixels
    ],
)
def test_a_decompression_bomb_is_refused(client: TestClient, width: int, height: int) -> None:
    bomb = declaring(width, height)
    assert len(bomb) < 1000
    assert struct.unpack(">II", bomb[16:24]) == (width, height)
    problem = _refused_and_unchanged(client, bomb, "image/png", 422, "photo-too-many-pixels")
    assert fields_of(problem) == ["body"]


def test_uploading_needs_a_token(client: TestClient) -> None:
    response = client.put(PHOTO, content=image_bytes("PNG"), headers={"Content-Type": "image/png"})
    problem_of(response, 401)


# Who may see a photo, and how it may be kept


def test_a_photo_is_served_with_cache_headers_and_an_etag(client: TestClient) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    url = put_photo(client, ana.headers, image_bytes("PNG"), "image/png").json()["photo_url"]
    response = client.get(url, headers=beto.headers)
    assert response.status_code == 200
    assert response.headers["cache-control"] == "private, max-age=31536000, immutable"
    etag = response.headers["etag"]
    assert etag.startswith('"')
    assert response.headers["x-content-type-options"] == "nosniff"
    again = client.get(url, headers={**beto.headers, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""


def test_a_blocked_member_or_a_visitor_cannot_see_a_photo(
    client: TestClient, other_client: TestClient
) -> None:
    ana, beto, carla = people(client, "Ana Ruiz", "Beto Gil", "Carla Paz")
    connect_people(client, ana, beto)
    url = put_photo(client, ana.headers, image_bytes("PNG"), "image/png").json()["photo_url"]
    served(client, url, beto.headers)
    served(client, url, carla.headers)  # any member who may see Ana, connected or not
    assert client.post(BLOCKS, json={"member": beto.id}, headers=ana.headers).status_code == 201
    problem_of(client.get(f"/api/v1/members/{ana.id}", headers=beto.headers), 404)
    assert client.get(url, headers=beto.headers).status_code == 404
    assert client.get(small_url(url), headers=beto.headers).status_code == 404
    # Not signed in: the same 404 as for a photo that does not exist.
    assert other_client.get(url).status_code == 404
    assert client.get(url, headers={"Authorization": "Bearer nonsense"}).status_code == 404
    assert (
        client.get(url.replace("/256.webp", "/100.webp"), headers=carla.headers).status_code == 404
    )


def test_every_representation_of_a_member_carries_the_photo(client: TestClient) -> None:
    ana, beto = people(client, "Ana Ruiz", "Beto Gil")
    connect_people(client, ana, beto)
    url = put_photo(client, ana.headers, image_bytes("PNG"), "image/png").json()["photo_url"]
    profile = client.get(f"/api/v1/members/{ana.id}", headers=beto.headers).json()
    assert profile["photo_url"] == url
    found = client.get("/api/v1/members", params={"q": "Ana"}, headers=beto.headers).json()
    assert [item["photo_url"] for item in found["items"]] == [url]
    listed = client.get(f"/api/v1/members/{beto.id}/connections", headers=beto.headers).json()
    assert [item["photo_url"] for item in listed["items"]] == [url]


# Pages


def _upload_on_page(browser: Browser, content: bytes, filename: str = "me.png") -> Any:
    form = browser.client.get("/profile/edit")
    return browser.client.post(
        "/profile/photo",
        data={"csrf_token": csrf_token_of(form.text)},
        files={"photo": (filename, content, "image/png")},
        follow_redirects=False,
    )


def test_a_member_uploads_a_photo_on_the_profile_form_and_it_shows_on_cards(
    ana: Browser, beto: Browser
) -> None:
    edit = ana.client.get("/profile/edit").text
    assert 'enctype="multipart/form-data"' in edit
    assert "Remove photo" not in edit
    # Named .png, sent as image/png by the browser: the content (a JPEG) decides.
    response = _upload_on_page(ana, image_bytes("JPEG"), filename="me.png")
    assert response.status_code == 303, response.text
    assert response.headers["location"] == "/profile/edit#photo"
    url = ana.client.get(ME, headers=ana.api).json()["photo_url"]
    assert "Remove photo" in ana.client.get("/profile/edit").text
    assert f'src="{url}"' in ana.client.get(f"/members/{ana.id}").text

    # Beto finds Ana: her card shows the small photo, which his browser's cookie may fetch.
    search = beto.client.get("/search", params={"q": "Ana"}).text
    assert f'src="{small_url(url)}"' in search
    served(beto.client, small_url(url))
    # Without a photo, the initial.
    assert 'data-hue="' in ana.client.get("/search", params={"q": "Beto"}).text


def test_a_page_upload_that_is_not_an_image_shows_the_error_on_the_form(ana: Browser) -> None:
    assert _upload_on_page(ana, image_bytes("PNG")).status_code == 303
    url = ana.client.get(ME, headers=ana.api).json()["photo_url"]
    response = _upload_on_page(ana, b"GIF89a but not really")
    assert response.status_code == 422
    assert "This is not a JPEG, PNG or WebP image, or it is damaged." in page_text(response.text)
    assert 'aria-invalid="true"' in response.text
    assert ana.client.get(ME, headers=ana.api).json()["photo_url"] == url


def test_a_page_upload_without_a_file_asks_for_one(ana: Browser) -> None:
    response = _upload_on_page(ana, b"", filename="")
    assert response.status_code == 422
    assert "Choose a photo to upload." in page_text(response.text)


def test_a_page_upload_needs_the_form_token(ana: Browser) -> None:
    response = ana.client.post(
        "/profile/photo", files={"photo": ("me.png", image_bytes("PNG"), "image/png")}
    )
    assert response.status_code == 403
    assert ana.client.get(ME, headers=ana.api).json()["photo_url"] is None


def test_the_photo_is_removed_from_the_profile_form(ana: Browser) -> None:
    assert _upload_on_page(ana, image_bytes("WEBP")).status_code == 303
    response = ana.post("/profile/photo/delete", form_page="/profile/edit")
    assert response.status_code == 303
    assert ana.client.get(ME, headers=ana.api).json()["photo_url"] is None
    assert "Remove photo" not in ana.client.get("/profile/edit").text


def test_the_profile_form_speaks_spanish_about_photos(ana: Browser) -> None:
    ana.client.cookies.set("vinculo_lang", "es")
    response = _upload_on_page(ana, b"nada")
    assert "Quitar foto" not in response.text
    assert "no es una imagen JPEG, PNG o WebP" in page_text(response.text)
