"""AWS Signature Version 4 for request headers (checked against AWS's published test suite vectors)."""

import datetime as dt
import hashlib
import hmac
from urllib.parse import quote, urlsplit


def _hmac(key: bytes, text: str) -> bytes:
    return hmac.new(key, text.encode(), hashlib.sha256).digest()


def signing_key(secret_key: str, date: str, region: str, service: str) -> bytes:
    key = _hmac(f"AWS4{secret_key}".encode(), date)
    key = _hmac(key, region)
    key = _hmac(key, service)
    return _hmac(key, "aws4_request")


def canonical_query(query: str) -> str:
    pairs = []
    for item in filter(None, query.split("&")):
        name, _, value = item.partition("=")
        pairs.append((quote(name, safe="-_.~"), quote(value, safe="-_.~")))
    return "&".join(f"{k}={v}" for k, v in sorted(pairs))


def canonical_request(
    method: str, url: str, headers: dict[str, str], payload_hash: str, *, service: str
) -> tuple[str, str]:
    """(canonical request, signed header list). Non-S3 services encode the (already encoded) path again."""
    parts = urlsplit(url)
    path = parts.path or "/"
    uri = path if service == "s3" else quote(path, safe="/~")
    canonical = {k.lower().strip(): " ".join(v.strip().split()) for k, v in headers.items()}
    names = sorted(canonical)
    header_block = "".join(f"{name}:{canonical[name]}\n" for name in names)
    signed = ";".join(names)
    request = "\n".join([method.upper(), uri, canonical_query(parts.query), header_block, signed, payload_hash])
    return request, signed


def sign(
    method: str,
    url: str,
    headers: dict[str, str],
    body: bytes,
    *,
    access_key: str,
    secret_key: str,
    region: str,
    service: str,
    session_token: str | None = None,
    now: dt.datetime | None = None,
) -> dict[str, str]:
    """The headers to send: ``headers`` plus host, x-amz-date, security token and Authorization."""
    moment = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    amz_date = moment.strftime("%Y%m%dT%H%M%SZ")
    date = amz_date[:8]
    signed_headers = {**headers, "host": urlsplit(url).netloc, "x-amz-date": amz_date}
    if session_token:
        signed_headers["x-amz-security-token"] = session_token
    payload_hash = hashlib.sha256(body).hexdigest()
    request, signed = canonical_request(method, url, signed_headers, payload_hash, service=service)
    scope = f"{date}/{region}/{service}/aws4_request"
    string_to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(request.encode()).hexdigest()])
    signature = hmac.new(signing_key(secret_key, date, region, service), string_to_sign.encode(), hashlib.sha256)
    signed_headers["Authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, Signature={signature.hexdigest()}"
    )
    return signed_headers
