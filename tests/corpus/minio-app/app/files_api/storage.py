"""S3/MinIO access for the upload API."""

from __future__ import annotations

import os
import re
import uuid

import boto3
from botocore.config import Config

SAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

# Standard retry mode: exponential backoff with jitter, up to 5 attempts.
CLIENT_CONFIG = Config(retries={"max_attempts": 5, "mode": "standard"}, connect_timeout=3, read_timeout=10)


def object_key(filename: str) -> str:
    """A unique, URL-safe key that keeps the original extension."""
    base = SAFE_NAME.sub("-", os.path.basename(filename)).strip("-.") or "file"
    return f"{uuid.uuid4().hex[:12]}-{base[:80]}"


def client():
    return boto3.client(
        "s3",
        endpoint_url=os.environ.get("S3_ENDPOINT_URL"),
        aws_access_key_id=os.environ.get("S3_ACCESS_KEY"),
        aws_secret_access_key=os.environ.get("S3_SECRET_KEY"),
        config=CLIENT_CONFIG,
    )


def put(body: bytes, filename: str, content_type: str) -> str:
    key = object_key(filename)
    client().put_object(Bucket=os.environ.get("S3_BUCKET", "uploads"), Key=key, Body=body, ContentType=content_type)
    return key
