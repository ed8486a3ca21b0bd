"""id_tokens signed with Python's `cryptography` by the crate's test keys, at authoring time.

Run once (`python3 generate_oidc.py`); oidc.json is committed. The Rust test validates them
against `IdTokenSigner::test_keys().jwks()`, so this checks the JWKS export and the ring-based
verification against an independent JOSE implementation.
"""

import base64
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

KEYS = "../../../src/oidc/test_keys/"


def b64(data):
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def token(alg, kid, claims, sign):
    header = b64(json.dumps({"alg": alg, "kid": kid, "typ": "JWT"}, separators=(",", ":")).encode())
    payload = b64(json.dumps(claims, separators=(",", ":"), ensure_ascii=False).encode())
    signing_input = f"{header}.{payload}".encode()
    return f"{header}.{payload}.{b64(sign(signing_input))}"


rsa_key = serialization.load_der_private_key(open(KEYS + "rs256.pk8", "rb").read(), None)
p256_key = serialization.load_der_private_key(open(KEYS + "es256.pk8", "rb").read(), None)
ed_key = Ed25519PrivateKey.from_private_bytes(b"tgauth login-widget ed25519 test")


def rs256(message):
    return rsa_key.sign(message, padding.PKCS1v15(), hashes.SHA256())


def es256(message):
    r, s = decode_dss_signature(p256_key.sign(message, ec.ECDSA(hashes.SHA256())))
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


claims = {
    "iss": "https://oauth.telegram.org",
    "aud": "123456",
    "sub": "V2hvIHJlYWRzIHRoaXM",
    "iat": 1700000000,
    "exp": 1700003600,
    "nonce": "n-0S6_WzA2Mj",
    "id": 279058397,
    "name": "Vladislav Kibenko",
    "preferred_username": "vdkfrost",
    "picture": "https://t.me/i/userpic/320/vdkfrost.jpg",
    "phone_number": "+15550100",
}
k1_key = ec.derive_private_key(int.from_bytes(b"tgauth login-widget es256k test!", "big"), ec.SECP256K1())
K1_ORDER = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def es256k(high_s):
    def sign(message):
        r, s = decode_dss_signature(k1_key.sign(message, ec.ECDSA(hashes.SHA256())))
        if (s > K1_ORDER // 2) != high_s:
            s = K1_ORDER - s
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")
    return sign


vectors = [
    {"alg": "RS256", "token": token("RS256", "test-rs256", claims, rs256)},
    {"alg": "ES256", "token": token("ES256", "test-es256", claims, es256)},
    {"alg": "EdDSA", "token": token("EdDSA", "test-eddsa", claims, ed_key.sign)},
    {"alg": "ES256K", "token": token("ES256K", "test-es256k", claims, es256k(False))},
    {"alg": "ES256K", "token": token("ES256K", "test-es256k", claims, es256k(True)), "note": "high S"},
]
with open("oidc.json", "w") as out:
    json.dump({
        "provenance": "Signed by generate_oidc.py with Python cryptography 48 using the crate's "
                      "test keys (src/oidc/test_keys, Ed25519 seed in src/oidc/signing.rs)",
        "claims": claims,
        "vectors": vectors,
    }, out, indent=1)
    out.write("\n")
