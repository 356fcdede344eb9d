"""The tools' input files, read through declared shapes: a wrong file is refused naming the file,
the path inside it and what was expected, never misread as empty.

- Text is decoded as strict UTF-8; JSON nested too deeply for the parser is refused as such.
- `images_snapshot` reads an offline image snapshot in either shape people have at hand: the
  documented map `{repository: [imageDetails]}`, or what `aws ecr describe-images` prints
  (`{"imageDetails": [...]}`, one repository's or several concatenated in a JSON list), grouped by
  each entry's `repositoryName`.
- Times are ISO 8601 (the AWS CLI), datetimes (boto3) or epoch seconds, between 1970 and 9999.
"""

from __future__ import annotations

import datetime
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, cast

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictStr,
    TypeAdapter,
    ValidationError,
)
from pydantic.alias_generators import to_camel

from tools.cli import ToolError, one_line
from tools.strict_load import json_loads

if TYPE_CHECKING:
    from mypy_boto3_ecr.type_defs import ImageDetailTypeDef

EARLIEST = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
LATEST = datetime.datetime(9999, 1, 1, tzinfo=datetime.timezone.utc)
SNAPSHOT_SHAPE = (
    "a JSON object {repository: [imageDetails]}, or the output of `aws ecr describe-images` "
    '({"imageDetails": [...]}, or a JSON list of such outputs)'
)


def read_text(path: str, flag: str) -> str:
    """A text file decoded as strict UTF-8; ToolError naming `flag` and the file otherwise."""
    try:
        data = Path(path).read_bytes()
    except OSError as error:
        raise ToolError(f"{flag} {path}: {error.strerror or error}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ToolError(f"{flag} {path}: not UTF-8 text (byte {error.start})") from None


def read_json(path: str, flag: str) -> Any:
    try:
        return json_loads(read_text(path, flag))
    except ValueError as error:
        raise ToolError(f"{flag} {path}: not JSON: {one_line(error)}") from None
    except RecursionError:
        raise ToolError(f"{flag} {path}: JSON nested too deeply") from None


def moment(value: Any) -> datetime.datetime:
    """A point in time from ISO 8601 text, a datetime or epoch seconds, in [1970, 9999), UTC if
    naive. ValueError otherwise."""
    if isinstance(value, bool):
        raise ValueError(f"not a time: {value!r}")
    try:
        if isinstance(value, datetime.datetime):
            found = value
        elif isinstance(value, int | float):
            if not math.isfinite(value):
                raise ValueError
            found = datetime.datetime.fromtimestamp(value, datetime.timezone.utc)
        elif isinstance(value, str):
            found = datetime.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        else:
            raise ValueError
        found = found if found.tzinfo else found.replace(tzinfo=datetime.timezone.utc)
        in_range = EARLIEST <= found < LATEST
    except (ValueError, OverflowError, OSError):
        raise ValueError(f"{str(value)[:40]!r} is not an ISO 8601 time or epoch seconds") from None
    if not in_range:
        raise ValueError(f"{found.isoformat()} is outside 1970-9998")
    return found


Moment = Annotated[datetime.datetime, BeforeValidator(moment)]
# ECR's RepositoryName (botocore model: min 2, max 256, pattern) and the OCI digest grammar.
RepositoryName = Annotated[
    StrictStr,
    Field(
        min_length=2,
        max_length=256,
        pattern=r"^[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*(/[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*)*$",
    ),
]
Digest = Annotated[
    StrictStr, Field(max_length=1024, pattern=r"^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_-]+$")
]
Tag = Annotated[StrictStr, Field(min_length=1, max_length=300)]  # ECR's ImageTag: 1-300


class ImageDetail(BaseModel):
    """One `imageDetails` entry of DescribeImages: the fields the tools read. Other fields the AWS
    CLI prints (sizes, scan summaries) are allowed and ignored."""

    model_config = ConfigDict(extra="ignore", frozen=True, alias_generator=to_camel)

    image_digest: Digest
    image_tags: list[Tag] = Field(default_factory=list, max_length=1000)
    image_pushed_at: Moment
    last_recorded_pull_time: Moment | None = None
    last_archived_at: Moment | None = None
    image_status: Literal["ACTIVE", "ARCHIVED", "ACTIVATING"] | None = None
    subject_manifest_digest: Digest | None = None
    artifact_media_type: Annotated[StrictStr, Field(max_length=255)] | None = None
    repository_name: RepositoryName | None = None
    registry_id: Annotated[StrictStr, Field(pattern=r"^[0-9]{12}$")] | None = None

    def as_details(self) -> ImageDetailTypeDef:
        """The entry as boto3 gives it (what the tools' readers of `imageDetails` take)."""
        return cast("ImageDetailTypeDef", self.model_dump(exclude_none=True, by_alias=True))


class ListedImage(ImageDetail):
    repository_name: RepositoryName


class DescribeImagesOutput(BaseModel):
    """`aws ecr describe-images` output. A `nextToken` means it is one page (`--max-items`)."""

    model_config = ConfigDict(extra="forbid", frozen=True, alias_generator=to_camel)

    image_details: list[ListedImage]
    next_token: None = Field(default=None, description="refused: the output is one page of several")


_MAP = TypeAdapter(dict[RepositoryName, list[ImageDetail]])
_OUTPUTS = TypeAdapter(list[DescribeImagesOutput])


def where(location: tuple[int | str, ...]) -> str:
    """A pydantic error location as a path inside the file: `api[0].imagePushedAt`."""
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(top level)"


def shape_error(flag: str, path: str, error: ValidationError, expected: str) -> ToolError:
    """The first problem of a file that does not have its declared shape, as one line."""
    problems = error.errors(include_url=False)
    first = problems[0]
    found = repr(first.get("input"))[:60]
    message = str(first["msg"]).removeprefix("Value error, ")
    more = f" (and {len(problems) - 1} more problems)" if len(problems) > 1 else ""
    return ToolError(
        f"{flag} {path}: at {where(tuple(first['loc']))}: {message} (found {found}); "
        f"expected {expected}{more}"
    )


def images_snapshot(path: str, flag: str = "--images") -> dict[str, list[ImageDetailTypeDef]]:
    """repository -> its images, from an offline snapshot in either accepted shape."""
    data = read_json(path, flag)
    try:
        if isinstance(data, dict) and "imageDetails" in data:
            data = [data]
        if isinstance(data, list):
            grouped: dict[str, list[ImageDetailTypeDef]] = {}
            for output in _OUTPUTS.validate_python(data):
                for image in output.image_details:
                    grouped.setdefault(image.repository_name, []).append(image.as_details())
            return grouped
        return {
            name: [image.as_details() for image in images]
            for name, images in _MAP.validate_python(data).items()
        }
    except ValidationError as error:
        raise shape_error(flag, path, error, SNAPSHOT_SHAPE) from None


if __name__ == "__main__":
    from tools.cli import not_a_command

    raise SystemExit(not_a_command("tools.inputs"))
