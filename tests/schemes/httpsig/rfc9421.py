"""RFC 9421 Appendix B: the published test keys (B.1) and messages (B.2-B.4).

These keys are public test material from the RFC; never use them for anything else. The
messages are given as :class:`authgate.schemes.httpsig.protocol.Message` so the vectors
exercise the same code the backend and the client use.
"""

from __future__ import annotations

from authgate.schemes.httpsig.protocol import Message

# --- B.1 keys ---------------------------------------------------------------------------

#: B.1.2 test-key-rsa-pss, public half.
RSA_PSS_PUBLIC = """-----BEGIN PUBLIC KEY-----
MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAr4tmm3r20Wd/PbqvP1s2
+QEtvpuRaV8Yq40gjUR8y2Rjxa6dpG2GXHbPfvMs8ct+Lh1GH45x28Rw3Ry53mm+
oAXjyQ86OnDkZ5N8lYbggD4O3w6M6pAvLkhk95AndTrifbIFPNU8PPMO7OyrFAHq
gDsznjPFmTOtCEcN2Z1FpWgchwuYLPL+Wokqltd11nqqzi+bJ9cvSKADYdUAAN5W
Utzdpiy6LbTgSxP7ociU4Tn0g5I6aDZJ7A8Lzo0KSyZYoA485mqcO0GVAdVw9lq4
aOT9v6d+nb4bnNkQVklLQ3fVAvJm+xdDOp9LCNCN48V2pnDOkFV6+U9nV5oyc6XI
2wIDAQAB
-----END PUBLIC KEY-----
"""

#: B.1.3 test-key-ecc-p256, public half (PEM and JWK).
ECC_P256_PUBLIC = """-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEqIVYZVLCrPZHGHjP17CTW0/+D9Lf
w0EkjqF7xB4FivAxzic30tMM4GF+hR6Dxh71Z50VGGdldkkDXZCnTNnoXQ==
-----END PUBLIC KEY-----
"""
ECC_P256_PUBLIC_JWK = (
    '{"kty": "EC", "crv": "P-256", "kid": "test-key-ecc-p256",'
    ' "x": "qIVYZVLCrPZHGHjP17CTW0_-D9Lfw0EkjqF7xB4FivA",'
    ' "y": "Mc4nN9LTDOBhfoUeg8Ye9WedFRhnZXZJA12Qp0zZ6F0"}'
)

#: B.1.4 test-key-ed25519 (PEM and JWK).
ED25519_PUBLIC = """-----BEGIN PUBLIC KEY-----
MCowBQYDK2VwAyEAJrQLj5P/89iXES9+vFgrIy29clF9CC/oPPsw3c5D0bs=
-----END PUBLIC KEY-----
"""
ED25519_PRIVATE = """-----BEGIN PRIVATE KEY-----
MC4CAQAwBQYDK2VwBCIEIJ+DYvh6SEqVTm50DFtMDoQikTmiCqirVv9mWG9qfSnF
-----END PRIVATE KEY-----
"""
ED25519_PUBLIC_JWK = (
    '{"kty": "OKP", "crv": "Ed25519", "kid": "test-key-ed25519",'
    ' "x": "JrQLj5P_89iXES9-vFgrIy29clF9CC_oPPsw3c5D0bs"}'
)

#: B.1.5 test-shared-secret (base64).
SHARED_SECRET = (
    "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ=="
)

# --- B.2 test-request -------------------------------------------------------------------

BODY = b'{"hello": "world"}'
CONTENT_DIGEST_SHA512 = (
    "sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+"
    "AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"
)
REQUEST_HEADERS = [
    ("Host", "example.com"),
    ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
    ("Content-Type", "application/json"),
    ("Content-Digest", CONTENT_DIGEST_SHA512),
    ("Content-Length", "18"),
]


def test_request() -> Message:
    """B.2's test-request: ``POST /foo?param=Value&Pet=dog`` on example.com."""
    return Message("POST", "https://example.com/foo?param=Value&Pet=dog", REQUEST_HEADERS, BODY)


test_request.__test__ = False  # type: ignore[attr-defined]  # not a pytest test

CREATED = 1618884473

#: (name, key name, algorithm, Signature-Input, Signature, signature base).
B2_VECTORS = [
    (
        "B.2.1",
        "rsa-pss",
        "rsa-pss-sha512",
        'sig-b21=();created=1618884473;keyid="test-key-rsa-pss";nonce="b3k2pp5k7z-50gnwp.yemd"',
        "sig-b21=:d2pmTvmbncD3xQm8E9ZV2828BjQWGgiwAaw5bAkgibUopemLJcWDy/lkbbHAve4cRAtx31Iq786U7"
        "it++wgGxbtRxf8Udx7zFZsckzXaJMkA7ChG52eSkFxykJeNqsrWH5S+oxNFlD4dzVuwe8DhTSja8xxbR/Z2cO"
        "GdCbzR72rgFWhzx2VjBqJzsPLMIQKhO4DGezXehhWwE56YCE+O6c0mKZsfxVrogUvA4HELjVKWmAvtl6UnCh8"
        "jYzuVG5WSb/QEVPnP5TmcAnLH1g+s++v6d4s8m0gCw1fV5/SITLq9mhho8K3+7EPYTU8IU1bLhdxO5Nyt8C8s"
        "sinQ98Xw9Q==:",
        '"@signature-params": ();created=1618884473;keyid="test-key-rsa-pss"'
        ';nonce="b3k2pp5k7z-50gnwp.yemd"',
    ),
    (
        "B.2.2",
        "rsa-pss",
        "rsa-pss-sha512",
        'sig-b22=("@authority" "content-digest" "@query-param";name="Pet");created=1618884473'
        ';keyid="test-key-rsa-pss";tag="header-example"',
        "sig-b22=:LjbtqUbfmvjj5C5kr1Ugj4PmLYvx9wVjZvD9GsTT4F7GrcQEdJzgI9qHxICagShLRiLMlAJjtq6N4"
        "CDfKtjvuJyE5qH7KT8UCMkSowOB4+ECxCmT8rtAmj/0PIXxi0A0nxKyB09RNrCQibbUjsLS/2YyFYXEu4TRJQ"
        "zRw1rLEuEfY17SARYhpTlaqwZVtR8NV7+4UKkjqpcAoFqWFQh62s7Cl+H2fjBSpqfZUJcsIk4N6wiKYd4je2U"
        "/lankenQ99PZfB4jY3I5rSV2DSBVkSFsURIjYErOs0tFTQosMTAoxk//0RoKUqiYY8Bh0aaUEb0rQl3/XaVe4"
        "bXTugEjHSw==:",
        '"@authority": example.com\n'
        f'"content-digest": {CONTENT_DIGEST_SHA512}\n'
        '"@query-param";name="Pet": dog\n'
        '"@signature-params": ("@authority" "content-digest" "@query-param";name="Pet")'
        ';created=1618884473;keyid="test-key-rsa-pss";tag="header-example"',
    ),
    (
        "B.2.3",
        "rsa-pss",
        "rsa-pss-sha512",
        'sig-b23=("date" "@method" "@path" "@query" "@authority" "content-type" "content-digest"'
        ' "content-length");created=1618884473;keyid="test-key-rsa-pss"',
        "sig-b23=:bbN8oArOxYoyylQQUU6QYwrTuaxLwjAC9fbY2F6SVWvh0yBiMIRGOnMYwZ/5MR6fb0Kh1rIRASVxF"
        "keGt683+qRpRRU5p2voTp768ZrCUb38K0fUxN0O0iC59DzYx8DFll5GmydPxSmme9v6ULbMFkl+V5B1TP/yPV"
        "iV7KsLNmvKiLJH1pFkh/aYA2HXXZzNBXmIkoQoLd7YfW91kE9o/CCoC1xMy7JA1ipwvKvfrs65ldmlu9bpG6A"
        "9BmzhuzF8Eim5f8ui9eH8LZH896+QIF61ka39VBrohr9iyMUJpvRX2Zbhl5ZJzSRxpJyoEZAFL2FUo5fTIzts"
        "DZKEgM4cUA==:",
        '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
        '"@method": POST\n'
        '"@path": /foo\n'
        '"@query": ?param=Value&Pet=dog\n'
        '"@authority": example.com\n'
        '"content-type": application/json\n'
        f'"content-digest": {CONTENT_DIGEST_SHA512}\n'
        '"content-length": 18\n'
        '"@signature-params": ("date" "@method" "@path" "@query" "@authority" "content-type"'
        ' "content-digest" "content-length");created=1618884473;keyid="test-key-rsa-pss"',
    ),
    (
        "B.2.5",
        "hmac",
        "hmac-sha256",
        'sig-b25=("date" "@authority" "content-type");created=1618884473'
        ';keyid="test-shared-secret"',
        "sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:",
        '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
        '"@authority": example.com\n'
        '"content-type": application/json\n'
        '"@signature-params": ("date" "@authority" "content-type");created=1618884473'
        ';keyid="test-shared-secret"',
    ),
    (
        "B.2.6",
        "ed25519",
        "ed25519",
        'sig-b26=("date" "@method" "@path" "@authority" "content-type" "content-length")'
        ';created=1618884473;keyid="test-key-ed25519"',
        "sig-b26=:wqcAqbmYJ2ji2glfAMaRy4gruYYnx2nEFN2HN6jrnDnQCK1u02Gb04v9EDgwUPiu4A0w6vuQv5lI"
        "p5WPpBKRCw==:",
        '"date": Tue, 20 Apr 2021 02:07:55 GMT\n'
        '"@method": POST\n'
        '"@path": /foo\n'
        '"@authority": example.com\n'
        '"content-type": application/json\n'
        '"content-length": 18\n'
        '"@signature-params": ("date" "@method" "@path" "@authority" "content-type"'
        ' "content-length");created=1618884473;keyid="test-key-ed25519"',
    ),
]

# --- B.2.4 test-response (ecdsa-p256-sha256): verified on its base, as a response ---------

B24_BASE = (
    '"@status": 200\n'
    '"content-type": application/json\n'
    '"content-digest": sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69'
    "wWdXymyU0rjJuahq4l5aGgfLQ==:\n"
    '"content-length": 23\n'
    '"@signature-params": ("@status" "content-type" "content-digest" "content-length")'
    ';created=1618884473;keyid="test-key-ecc-p256"'
)
B24_SIGNATURE_INPUT = (
    'sig-b24=("@status" "content-type" "content-digest" "content-length");created=1618884473'
    ';keyid="test-key-ecc-p256"'
)
B24_SIGNATURE = (
    "sig-b24=:wNmSUAhwb5LxtOtOpNa6W5xj067m5hFrj0XQ4fvpaCLx0NKocgPquLgyahnzDnDAUy5eCdlYUEkLIj+32"
    "oiasw==:"
)
B24_RESPONSE_BODY = b'{"message": "good dog"}'
B24_CONTENT_DIGEST = (
    "sha-512=:mEWXIS7MaLRuGgxOBdODa3xqM1XdEvxoYhvlCFJ41QJgJc4GTsPp29l5oGX69wWdXymyU0rjJuahq4l5"
    "aGgfLQ==:"
)

# --- B.3 TLS-terminating proxy (ecdsa-p256-sha256) -----------------------------------------

CLIENT_CERT = (
    ":MIIBqDCCAU6gAwIBAgIBBzAKBggqhkjOPQQDAjA6MRswGQYDVQQKDBJMZXQncyBBdXRoZW50aWNhdGUxGzAZBgNV"
    "BAMMEkxBIEludGVybWVkaWF0ZSBDQTAeFw0yMDAxMTQyMjU1MzNaFw0yMTAxMjMyMjU1MzNaMA0xCzAJBgNVBAMM"
    "AkJDMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8YnXXfaUgmnMtOXU/IncWalRhebrXmckC8vdgJ1p5Be5F/3Y"
    "C8OthxM4+k1M6aEAEFcGzkJiNy6J84y7uzo9M6NyMHAwCQYDVR0TBAIwADAfBgNVHSMEGDAWgBRm3WjLa38lbEYC"
    "uiCPct0ZaSED2DAOBgNVHQ8BAf8EBAMCBsAwEwYDVR0lBAwwCgYIKwYBBQUHAwIwHQYDVR0RAQH/BBMwEYEPYmRj"
    "QGV4YW1wbGUuY29tMAoGCCqGSM49BAMCA0gAMEUCIBHda/r1vaL6G3VliL4/Di6YK0Q6bMjeSkC3dFCOOB8TAiEA"
    "x/kHSB4urmiZ0NX5r5XarmPk0wmuydBVoU4hBVZ1yhk=:"
)


def proxy_request() -> Message:
    """B.3: the request as the service behind a TLS-terminating proxy sees it."""
    return Message(
        "POST",
        "https://service.internal.example/foo?param=Value&Pet=dog",
        [
            ("Host", "service.internal.example"),
            ("Date", "Tue, 20 Apr 2021 02:07:55 GMT"),
            ("Content-Type", "application/json"),
            ("Content-Length", "18"),
            ("Client-Cert", CLIENT_CERT),
        ],
        BODY,
    )


B3_SIGNATURE_INPUT = (
    'ttrp=("@path" "@query" "@method" "@authority" "client-cert");created=1618884473'
    ';keyid="test-key-ecc-p256"'
)
B3_SIGNATURE = (
    "ttrp=:xVMHVpawaAC/0SbHrKRs9i8I3eOs5RtTMGCWXm/9nvZzoHsIg6Mce9315T6xoklyy0yzhD9ah4JHRwMLOgm"
    "izw==:"
)
B3_BASE = (
    '"@path": /foo\n'
    '"@query": ?param=Value&Pet=dog\n'
    '"@method": POST\n'
    '"@authority": service.internal.example\n'
    f'"client-cert": {CLIENT_CERT}\n'
    '"@signature-params": ("@path" "@query" "@method" "@authority" "client-cert")'
    ';created=1618884473;keyid="test-key-ecc-p256"'
)

# --- B.4 transformations (ed25519) ------------------------------------------------------

B4_SIGNATURE_INPUT = (
    'transform=("@method" "@path" "@authority" "accept");created=1618884473'
    ';keyid="test-key-ed25519"'
)
B4_SIGNATURE = (
    "transform=:ZT1kooQsEHpZ0I1IjCqtQppOmIqlJPeo7DHR3SoMn0s5JZ1eRGS0A+vyYP9t/LXlh5QMFFQ6cpLt2m0p"
    "mj3NDA==:"
)
B4_BASE = (
    '"@method": GET\n'
    '"@path": /demo\n'
    '"@authority": example.org\n'
    '"accept": application/json, */*\n'
    '"@signature-params": ("@method" "@path" "@authority" "accept");created=1618884473'
    ';keyid="test-key-ed25519"'
)
_DATE = ("Date", "Fri, 15 Jul 2022 14:24:55 GMT")
_URL = "https://example.org/demo?name1=Value1&Name2=value2"

#: (what changed, method, URL, headers): B.4's transformed requests that still verify.
B4_VALID = [
    (
        "original",
        "GET",
        _URL,
        [("Host", "example.org"), _DATE, ("Accept", "application/json"), ("Accept", "*/*")],
    ),
    (
        "added header and query parameter",
        "GET",
        _URL + "&param=added",
        [
            ("Host", "example.org"),
            _DATE,
            ("Accept", "application/json"),
            ("Accept", "*/*"),
            ("Accept-Language", "en-US,en;q=0.5"),
        ],
    ),
    (
        "combined Accept lines, other fields removed and added",
        "GET",
        _URL,
        [
            ("Host", "example.org"),
            ("Referer", "https://developer.example.org/demo"),
            ("Accept", "application/json, */*"),
        ],
    ),
    (
        "reordered fields",
        "GET",
        _URL,
        [("Accept", "application/json"), ("Accept", "*/*"), _DATE, ("Host", "example.org")],
    ),
]
#: ... and the ones that must not.
B4_INVALID = [
    (
        "changed method and authority",
        "POST",
        "https://example.com/demo?name1=Value1&Name2=value2",
        [("Host", "example.com"), _DATE, ("Accept", "application/json"), ("Accept", "*/*")],
    ),
    (
        "reordered Accept values",
        "GET",
        _URL,
        [("Host", "example.org"), _DATE, ("Accept", "*/*"), ("Accept", "application/json")],
    ),
]
