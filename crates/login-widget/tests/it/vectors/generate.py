"""Known-answer vectors for login-widget, computed from the specs with Python's hmac/hashlib.

Run once at authoring time (`python3 generate.py`); the JSON files it writes are committed and
the Rust tests read them. The HMACs here are computed independently of the Rust code: the check
string is built with Python's sorted() over a dict, keys are SHA256(token) (Login Widget,
core.telegram.org/widgets/login) and HMAC_SHA256(key=b"WebAppData", msg=token) (Mini Apps,
core.telegram.org/bots/webapps#validating-data-received-via-the-mini-app).
"""

import base64
import hashlib
import hmac
import json
from urllib.parse import quote, urlencode

TOKEN = "123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew11"  # @BotFather's documentation example


def widget_hash(fields, token=TOKEN):
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    key = hashlib.sha256(token.encode()).digest()
    return hmac.new(key, check.encode(), hashlib.sha256).hexdigest()


def webapp_hash(fields, token=TOKEN):
    check = "\n".join(f"{k}={v}" for k, v in sorted(fields.items()) if k != "hash")
    key = hmac.new(b"WebAppData", token.encode(), hashlib.sha256).digest()
    return hmac.new(key, check.encode(), hashlib.sha256).hexdigest()


def signed(fields, fn=widget_hash, token=TOKEN):
    out = dict(fields)
    out["hash"] = fn(fields, token)
    return out


def user(fields):
    return {
        "id": int(fields["id"]),
        "first_name": fields["first_name"],
        "last_name": fields.get("last_name"),
        "username": fields.get("username"),
        "photo_url": fields.get("photo_url"),
        "auth_date": int(fields["auth_date"]),
    }


def json_form(fields):
    parts = []
    for k, v in fields.items():
        value = v if k in ("id", "auth_date") else json.dumps(v, ensure_ascii=False)
        parts.append(f"{json.dumps(k)}:{value}")
    return "{" + ",".join(parts) + "}"


full = {
    "id": "279058397",
    "first_name": "Vladislav",
    "last_name": "Kibenko",
    "username": "vdkfrost",
    "photo_url": "https://t.me/i/userpic/320/vdkfrost.jpg",
    "auth_date": "1700000000",
}
unicode_fields = {
    "id": "-42",
    "first_name": "Jürgen + Ōno & 李 🚀",
    "last_name": "a=b\\n\"c\"",
    "auth_date": "1700000000",
}
unknown_field = {"id": "7", "first_name": "Ada", "auth_date": "1700000000", "x_extra": "kept"}
minimal = {"id": "7", "first_name": "Ada", "auth_date": "1700000000"}

NOW = 1700000100
widget = []


def case(name, data, fmt, expected, now=NOW, max_age=86400, token=TOKEN):
    widget.append({"name": name, "token": token, "format": fmt, "data": data, "now": now,
                   "max_age": max_age, "expected": expected})


s = signed(full)
case("query_all_fields", urlencode(s), "query", {"valid": True, "user": user(full)})
case("query_percent20_spaces", urlencode(s, quote_via=quote), "query", {"valid": True, "user": user(full)})
case("callback_url", "https://example.com/login?" + urlencode(s), "url", {"valid": True, "user": user(full)})
case("json_numbers_as_numbers", json_form(s), "json", {"valid": True, "user": user(full)})
tg = base64.urlsafe_b64encode(json_form(s).encode()).decode().rstrip("=")
case("tg_auth_result", tg, "tg-auth-result", {"valid": True, "user": user(full)})
case("url_with_tg_auth_result_fragment", "https://example.com/#tgAuthResult=" + tg, "url",
     {"valid": True, "user": user(full)})
u = signed(unicode_fields)
case("unicode_plus_and_escapes", urlencode(u), "query", {"valid": True, "user": user(unicode_fields)})
case("unicode_json", json_form(u), "json", {"valid": True, "user": user(unicode_fields)})
k = signed(unknown_field)
case("unknown_field_is_signed", urlencode(k), "query", {"valid": True, "user": user(unknown_field)})
dropped = dict(k)
del dropped["x_extra"]
case("unknown_field_dropped", urlencode(dropped), "query", {"valid": False, "reason": "invalid_hash"})
m = signed(minimal)
case("minimal", urlencode(m), "query", {"valid": True, "user": user(minimal)})
tampered = dict(m)
tampered["first_name"] = "Adb"
case("tampered_value", urlencode(tampered), "query", {"valid": False, "reason": "invalid_hash"})
case("wrong_token", urlencode(m), "query", {"valid": False, "reason": "invalid_hash"},
     token="123456:ABC-DEF1234ghIkl-zyx57W2v1u123ew12")
upper = dict(m)
upper["hash"] = m["hash"].upper()
case("uppercase_hash", urlencode(upper), "query", {"valid": False, "reason": "invalid_hash"})
case("expired", urlencode(m), "query", {"valid": False, "reason": "expired"}, now=1700000000 + 86401)
case("max_age_boundary", urlencode(m), "query", {"valid": True, "user": user(minimal)}, now=1700000000 + 86400)
case("no_max_age", urlencode(m), "query", {"valid": True, "user": user(minimal)}, now=1900000000, max_age=None)
case("future_beyond_skew", urlencode(m), "query", {"valid": False, "reason": "expired"}, now=1700000000 - 31)
case("future_within_skew", urlencode(m), "query", {"valid": True, "user": user(minimal)}, now=1700000000 - 30)
case("expired_and_bad_hash_is_invalid_hash", urlencode(tampered), "query",
     {"valid": False, "reason": "invalid_hash"}, now=1800000000)
case("duplicate_key", urlencode(m) + "&first_name=Ada", "query", {"valid": False, "reason": "malformed"})
case("missing_hash", urlencode(minimal), "query", {"valid": False, "reason": "malformed"})
case("empty_hash", urlencode(minimal) + "&hash=", "query", {"valid": False, "reason": "malformed"})
noauth = {"id": "7", "first_name": "Ada"}
case("missing_auth_date", urlencode(signed(noauth)), "query", {"valid": False, "reason": "malformed"})
badauth = {"id": "7", "first_name": "Ada", "auth_date": "17e8"}
case("non_integer_auth_date", urlencode(signed(badauth)), "query", {"valid": False, "reason": "malformed"})
case("empty_input", "", "query", {"valid": False, "reason": "malformed"})
case("bad_percent", "id=%zz&hash=00", "query", {"valid": False, "reason": "malformed"})
case("json_with_boolean", '{"id":7,"first_name":"Ada","auth_date":1700000000,"x":true,"hash":"00"}', "json",
     {"valid": False, "reason": "malformed"})
case("json_duplicate_key", json_form(m)[:-1] + ',"id":8}', "json", {"valid": False, "reason": "malformed"})

webapp = []


def wcase(name, data, expected, now=NOW, token=TOKEN, max_age=86400):
    webapp.append({"name": name, "token": token, "data": data, "now": now, "max_age": max_age,
                   "expected": expected})


init = {
    "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
    "user": json.dumps({"id": 42, "first_name": "Ada", "last_name": "Lovelace", "username": "ada",
                        "language_code": "en", "is_premium": True, "allows_write_to_pm": True},
                       separators=(",", ":")),
    "auth_date": "1700000000",
    "chat_instance": "-8134722200314281151",
    "chat_type": "private",
    "start_param": "ref_7",
    "signature": "not-checked-by-the-first-party-hmac",
}
wi = signed(init, webapp_hash)
wcase("first_party_all_fields", urlencode(wi), {"valid": True, "user_id": 42})
no_sig = dict(wi)
del no_sig["signature"]
wcase("signature_is_part_of_the_check_string", urlencode(no_sig), {"valid": False, "reason": "invalid_hash"})
widget_style = dict(init)
widget_style["hash"] = widget_hash(init)
wcase("widget_key_is_not_the_webapp_key", urlencode(widget_style), {"valid": False, "reason": "invalid_hash"})
wcase("expired", urlencode(wi), {"valid": False, "reason": "expired"}, now=1700000000 + 86401)
bad_user = dict(init)
bad_user["user"] = "{not json"
wcase("user_not_json_is_malformed", urlencode(signed(bad_user, webapp_hash)), {"valid": False, "reason": "malformed"})
wcase("duplicate_key", urlencode(wi) + "&auth_date=1700000000", {"valid": False, "reason": "malformed"})

provenance = (
    "Computed by crates/login-widget/tests/it/vectors/generate.py with Python's hmac and hashlib "
    "from the specs (core.telegram.org/widgets/login, core.telegram.org/bots/webapps), "
    "independently of the Rust code. Token: @BotFather's documentation example."
)
with open("widget.json", "w") as out:
    json.dump({"provenance": provenance, "vectors": widget}, out, indent=1, ensure_ascii=False)
    out.write("\n")
with open("webapp.json", "w") as out:
    json.dump({"provenance": provenance, "vectors": webapp}, out, indent=1, ensure_ascii=False)
    out.write("\n")
