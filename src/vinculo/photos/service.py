"""Profile photos: checking an upload by its content (never its name nor its declared type alone),
re-encoding it as squares of the sizes pages show, free of the upload's metadata (GPS position,
camera, ...), and letting only the members who may see its owner see it."""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass

from PIL import Image, ImageOps
from sqlalchemy.orm import Session

from vinculo import clock
from vinculo.db import off_the_loop
from vinculo.errors import N_, InvalidInput, NotFound, TooLarge, VinculoError
from vinculo.identity.models import PHOTO_VERSION_LENGTH, Member
from vinculo.photos import repository
from vinculo.photos.models import MemberPhoto
from vinculo.privacy.service import access_member
from vinculo.settings import get_settings

# What Pillow calls each accepted format, and the media type that names it.
MEDIA_TYPES = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
ACCEPTED_MEDIA_TYPES = tuple(MEDIA_TYPES.values())
SERVED_MEDIA_TYPE = "image/webp"
# The two squares kept, in pixels: the profile's (5rem), and the one of cards and lists (3rem),
# each sharp on a screen of twice the density.
LARGE = 256
SMALL = 96
SIZES = (LARGE, SMALL)
# An image larger than this, in pixels, is refused before it is decoded: a few bytes may declare
# a picture whose decoding would take gigabytes (a decompression bomb). 40 million pixels is a
# photo of a 40-megapixel camera, and at most 160 MB while it is turned into squares.
MAX_PIXELS = 40_000_000
_QUALITY = 85


class PhotoTooLarge(TooLarge):
    slug = "photo-too-large"
    title = N_("Photo too large")
    default_detail = N_("The photo is larger than %(megabytes)s MB.")


class PhotoTypeNotAccepted(VinculoError):
    status = 415
    slug = "photo-type-not-accepted"
    title = N_("Photo type not accepted")
    default_detail = N_(
        "Send a JPEG, PNG or WebP image, with its type (image/jpeg, image/png or image/webp) "
        "as Content-Type."
    )


class PhotoNotReadable(InvalidInput):
    slug = "photo-not-readable"
    title = N_("Not an image we can read")
    default_detail = N_("This is not a JPEG, PNG or WebP image, or it is damaged.")


class PhotoTypeMismatch(InvalidInput):
    slug = "photo-type-mismatch"
    title = N_("The image is not of the type it claims")
    default_detail = N_("The image is %(found)s, not %(declared)s as its Content-Type says.")


class PhotoTooManyPixels(InvalidInput):
    slug = "photo-too-many-pixels"
    title = N_("Image too large in pixels")
    default_detail = N_(
        "The image has more than %(megapixels)s million pixels; send a smaller one."
    )


class PhotoNotFound(NotFound):
    slug = "photo-not-found"
    title = N_("Photo not found")
    default_detail = N_("There is no such photo, or you may not see it.")


@dataclass(frozen=True)
class PreparedPhoto:
    """An accepted upload, re-encoded: what is stored, and the version its addresses carry."""

    version: str
    large: bytes
    small: bytes


def set_photo(
    db: Session, *, member: Member, image: bytes, declared_type: str | None, field: str
) -> Member:
    """Make the uploaded image the member's photo (`prepare_photo`, then `store_photo`)."""
    prepared = prepare_photo(image, declared_type=declared_type, field=field)
    return store_photo(db, member=member, photo=prepared)


def prepare_photo(image: bytes, *, declared_type: str | None, field: str) -> PreparedPhoto:
    """Check an upload and re-encode it, off the event loop; it writes nothing, so it runs
    before the write begins and a refusal has nothing to undo. `declared_type` is the media
    type the upload came with (the API's Content-Type), which must name what the bytes are;
    None when only the bytes decide (a page's file field, whose type a browser guesses from the
    file's name). Refusals name `field`."""
    return off_the_loop(_prepare, image, declared_type, field)


def store_photo(db: Session, *, member: Member, photo: PreparedPhoto) -> Member:
    """Make a prepared photo the member's, in place of any other."""
    repository.replace_photo(
        db,
        member=member,
        photo=MemberPhoto(
            member_id=member.id,
            version=photo.version,
            large=photo.large,
            small=photo.small,
            created_at=clock.now(),
        ),
    )
    return member


def remove_photo(db: Session, *, member: Member) -> None:
    """Remove the member's photo (their initial is shown again); nothing happens without one."""
    if member.photo_version is not None:
        repository.remove_photo(db, member=member)


def photo_image(db: Session, *, viewer: Member, member_id: int, version: str, size: int) -> bytes:
    """One size of a member's photo, for a viewer who may see the member (a block hides it as it
    hides them: 404); a version that is no longer the member's is not found either."""
    access_member(db, viewer=viewer, member_id=member_id)
    if size not in SIZES:
        raise PhotoNotFound()
    found = repository.photo_image(db, member_id=member_id, version=version, large=size == LARGE)
    if found is None:
        raise PhotoNotFound()
    return found


def _prepare(image: bytes, declared_type: str | None, field: str) -> PreparedPhoto:
    """Check an upload and encode the squares to keep; every refusal is raised before any
    pixel is decoded, except a damaged image, found while decoding it."""
    max_bytes = get_settings().max_photo_bytes
    if len(image) > max_bytes:
        raise PhotoTooLarge.for_field(field, megabytes=f"{max_bytes / 1024 / 1024:g}")
    declared = _media_type(declared_type)
    if declared_type is not None and declared not in ACCEPTED_MEDIA_TYPES:
        raise PhotoTypeNotAccepted()
    found = _format_of(image, field)
    if declared_type is not None and MEDIA_TYPES[found] != declared:
        raise PhotoTypeMismatch.for_field(field, found=MEDIA_TYPES[found], declared=declared)
    try:
        with Image.open(io.BytesIO(image), formats=[found]) as opened:
            upright = _upright(opened)
        large, small = (_square(upright, size) for size in SIZES)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoTooManyPixels.for_field(field, megapixels=MAX_PIXELS // 1_000_000) from None
    except Exception:  # noqa: BLE001 - a damaged image fails in any of its parser's ways
        raise PhotoNotReadable.for_field(field) from None
    version = hashlib.sha256(large).hexdigest()[:PHOTO_VERSION_LENGTH]
    return PreparedPhoto(version=version, large=large, small=small)


def _media_type(content_type: str | None) -> str:
    """The media type of a Content-Type header, without its parameters."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _format_of(image: bytes, field: str) -> str:
    """Which accepted format the bytes are in, from their content, after reading no more than
    the image's header and checking what can be checked without decoding it (`verify`)."""
    try:
        with Image.open(io.BytesIO(image), formats=list(MEDIA_TYPES)) as probe:
            found = probe.format
            pixels = probe.width * probe.height
            if pixels <= MAX_PIXELS:
                probe.verify()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoTooManyPixels.for_field(field, megapixels=MAX_PIXELS // 1_000_000) from None
    except Exception:  # noqa: BLE001 - whatever the parsers make of bytes that are no image
        raise PhotoNotReadable.for_field(field) from None
    if pixels > MAX_PIXELS:
        raise PhotoTooManyPixels.for_field(field, megapixels=MAX_PIXELS // 1_000_000)
    if found not in MEDIA_TYPES:
        raise PhotoNotReadable.for_field(field)
    return found


def _upright(opened: Image.Image) -> Image.Image:
    """The image's pixels upright (as its EXIF orientation says), in RGB, on white where it is
    transparent."""
    if opened.format == "JPEG":
        # Decode at the smallest scale (1/2 to 1/8) still larger than the largest square.
        opened.draft("RGB", (LARGE, LARGE))
    image = ImageOps.exif_transpose(opened)
    if image.mode in {"RGBA", "LA", "PA"} or "transparency" in image.info:
        on_white = Image.new("RGBA", image.size, (255, 255, 255, 255))
        image = Image.alpha_composite(on_white, image.convert("RGBA"))
    return image.convert("RGB")


def _square(image: Image.Image, size: int) -> bytes:
    """The image cropped to a centred square of `size` pixels, as WebP carrying nothing but the
    pixels."""
    square = ImageOps.fit(image, (size, size), Image.Resampling.LANCZOS)
    square.info.clear()  # no EXIF, XMP or colour profile of the upload goes with it
    encoded = io.BytesIO()
    square.save(encoded, format="WEBP", quality=_QUALITY)
    return encoded.getvalue()
