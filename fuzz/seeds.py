# Writes the seed corpus of fuzz/corpus/ from the project's own test vectors (see README.md for
# provenance). Run from fuzz/: python3 seeds.py. The corpus is committed; this records how.
import json, os, base64
root = '..'
def w(target, name, data):
    d = f'corpus/{target}'; os.makedirs(d, exist_ok=True)
    if isinstance(data, str): data = data.encode()
    open(f'{d}/{name}', 'wb').write(data)
def load(p): return json.load(open(os.path.join(root, p)))

# bot_api_update
sample = load('crates/passport-crypto/tests/it/data/sample-passport.json')
sample.pop('_generated', None)
w('bot_api_update', 'start-command.json', json.dumps({"update_id": 861240185, "message": {
    "message_id": 1371, "from": {"id": 123456789, "is_bot": False, "first_name": "Ada", "last_name": "Lovelace",
    "username": "ada", "language_code": "en", "is_premium": True},
    "chat": {"id": 123456789, "first_name": "Ada", "last_name": "Lovelace", "username": "ada", "type": "private"},
    "date": 1716112233, "text": "/start Zx9_-abc",
    "entities": [{"offset": 0, "length": 6, "type": "bot_command"}]}}))
w('bot_api_update', 'passport-message.json', json.dumps({"update_id": 2, "message": sample}))
w('bot_api_update', 'callback-query.json', json.dumps({"update_id": 4, "callback_query": {"id": "1", "from": {"id": 1, "is_bot": False, "first_name": "A"}, "chat_instance": "c", "data": "x"}}))
w('bot_api_update', 'channel-post.json', json.dumps({"update_id": 3, "channel_post": {"message_id": 9, "date": 1, "chat": {"id": -100, "type": "channel", "title": "t"}, "text": "hi"}}))

# passport_open: the committed sample (opens with test-key.pem) and PTB's real data.
w('passport_open', 'sample.json', json.dumps(sample['passport_data']))
ptb = load('crates/passport-crypto/tests/it/data/ptb-passport.json')
pd = ptb.get('passport_data') or ptb.get('data') or ptb
w('passport_open', 'ptb.json', json.dumps(pd))

# passport_types: selector byte 0 scope, 1 credentials, 2 element data (+type index), 3 error.
for i, s in enumerate([
    '{"data":["phone_number"],"v":1}',
    '{"data":[{"one_of":[{"type":"passport","selfie":true,"translation":true},"identity_card"]},{"type":"personal_details","native_names":true},"email"],"v":1}',
    '{"data":["email","email"],"v":1}',
    '{"v":1,"d":[{"_":[{"_":"passport","s":1,"t":1},"identity_card"]},{"_":"personal_details","n":1}]}',
]):
    w('passport_types', f'scope-{i}', b'\x00' + s.encode())
for i, s in enumerate(['{"secure_data":{},"payload":"old-client"}', '{"nonce":"n-3","payload":"p","secure_data":{}}',
                       '{"nonce":"n","secure_data":{"passport":{"data":{"data_hash":"ZGg=","secret":"c2VjcmV0"},"front_side":{"file_hash":"Zmg=","secret":"c2VjcmV0"}}}}']):
    w('passport_types', f'credentials-{i}', b'\x01' + s.encode())
w('passport_types', 'personal-details', b'\x02\x00' + b'{"first_name":"Alice","last_name":"Liddell","birth_date":"01.01.1990","gender":"female","country_code":"GB","residence_country_code":"GB"}')
w('passport_types', 'passport-document', b'\x02\x01' + b'{"document_no":"12345","expiry_date":"01.01.2030"}')
w('passport_types', 'address', b'\x02\x05' + b'{"street_line1":"1 Main St","city":"London","country_code":"GB","post_code":"N1"}')
for i, s in enumerate(['{"source":"data","type":"passport","field_name":"document_no","data_hash":"ZGg=","message":"Bad number"}',
                       '{"source":"files","type":"bank_statement","file_hashes":["aA==","bB=="],"message":"Missing pages"}',
                       '{"source":"unspecified","type":"email","element_hash":"ZWg=","message":"Use a work address"}']):
    w('passport_types', f'error-{i}', b'\x03' + s.encode())
w('passport_types', 'element-type', b'\x04driver_license')

# login_widget: selector 0 query, 1 url, 2 json, 3 tgAuthResult, 4 pairs, 5 auto.
fmt = {'query': 0, 'url': 1, 'json': 2, 'tg-auth-result': 3}
seen = set()
for v in load('crates/login-widget/tests/it/vectors/widget.json')['vectors']:
    f = v.get('format')
    if f in fmt and len(seen) < 12 and (f, v['expected'].get('valid')) not in seen:
        seen.add((f, v['expected'].get('valid')))
        w('login_widget', v['name'], bytes([fmt[f]]) + v['data'].encode())
        if f == 'query':
            from urllib.parse import parse_qsl
            w('login_widget', v['name'] + '-pairs', b'\x04' + '\n'.join(f'{a}={b}' for a, b in parse_qsl(v['data'])).encode())
            w('login_widget', v['name'] + '-auto', b'\x05' + v['data'].encode())

# webapp_init_data: 0 generated HMAC, 1 real HMAC, 2 third party production, 3 third party test.
for v in load('crates/login-widget/tests/it/vectors/webapp.json')['vectors'][:3]:
    w('webapp_init_data', v['name'], b'\x00' + v['data'].encode())
for v in load('crates/login-widget/tests/it/vectors/real_webapp.json')['vectors']:
    if v['name'] == 'init_data_node_test_suite':
        w('webapp_init_data', v['name'], b'\x01' + v['data'].encode())
        w('webapp_init_data', v['name'] + '-third-party', b'\x02' + v['data'].encode())
        w('webapp_init_data', v['name'] + '-third-party-test', b'\x03' + v['data'].encode())

# id_token: even selector expects the vectors' nonce.
for v in load('crates/login-widget/tests/it/vectors/oidc.json')['vectors']:
    w('id_token', v['alg'], b'\x00' + v['token'].encode())
w('id_token', 'no-nonce-RS256', b'\x01' + load('crates/login-widget/tests/it/vectors/oidc.json')['vectors'][0]['token'].encode())

# deeplink_start
for i, s in enumerate(['/start Zx9_-abc', '/start@tgauth_test_bot Zx9_-abcdefghijklmnopqrstuvwxyz01',
                       '  /START   Zx9_-abcdefghijklmnopqrstuvwxyz01', '/start@other_bot x', 'hello',
                       '/start\u200bZx9_-abcdefghijklmnopqrstuvwxyz01', 'tgauth_test_bot']):
    w('deeplink_start', f'text-{i}', s)

# server_http: selector = index in ROUTES, then text, a newline, the body.
R = {'widget': 0, 'webapp_form': 1, 'webapp_json': 2, 'oidc_start': 3, 'oidc_callback': 4, 'link': 5,
     'authorize': 6, 'consent': 7, 'token': 8, 'token_basic': 9, 'revoke': 10, 'logout': 11, 'userinfo': 12,
     'links': 13, 'notifications': 14, 'notification': 15, 'passport_create': 16, 'passport_show': 17,
     'passport_errors': 18, 'passport_file': 19, 'user': 20, 'confirm': 21, 'me_cookie': 22, 'me_bearer': 23}
def s(name, text, body=''):
    w('server_http', name, bytes([R[name.split('.')[0]]]) + text.encode() + b'\n' + body.encode())
widget_query = load('crates/login-widget/tests/it/vectors/widget.json')['vectors'][0]['data']
webapp = load('crates/login-widget/tests/it/vectors/webapp.json')['vectors'][0]['data']
s('widget', widget_query)
s('webapp_form', '', 'init_data=' + __import__('urllib.parse').parse.quote(webapp))
s('webapp_json', '', json.dumps({'init_data': webapp}))
s('oidc_callback', 'code=abc&state=xyz')
s('link', 'token=abc')
s('authorize', 'response_type=code&client_id=shop&redirect_uri=https%3A%2F%2Fshop.example%2Fcallback&scope=openid%20profile&state=s-1&nonce=n-1&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256')
s('consent', '', 'response_type=code&client_id=shop&redirect_uri=https%3A%2F%2Fshop.example%2Fcallback&scope=openid&state=s-1&decision=allow')
s('token', '', 'grant_type=authorization_code&code=abc&redirect_uri=https%3A%2F%2Fshop.example%2Fcallback&client_id=shop&client_secret=shop-secret-0123456789&code_verifier=dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')
s('token_basic', 'Basic ' + base64.b64encode(b'shop:shop-secret-0123456789').decode(), 'grant_type=refresh_token&refresh_token=abc')
s('revoke', 'Basic ' + base64.b64encode(b'shop:shop-secret-0123456789').decode(), 'token=abc&token_type_hint=refresh_token')
s('logout', 'post_logout_redirect_uri=https%3A%2F%2Fshop.example%2Fbye&client_id=shop&state=s')
s('userinfo', 'Bearer abc')
s('links', '', '{"user": "site-user-42"}')
s('notifications', '', '{"user": "site-user-42", "text": "Your order <b>#1234</b> has shipped.", "parse_mode": "HTML"}')
s('notification', '1')
s('passport_create', '', '{"user": "site-user-42", "scope": {"v": 1, "data": [{"type": "personal_details", "native_names": true}, {"one_of": ["passport", "identity_card"], "selfie": true}, "phone_number"]}}')
s('passport_show', 'abc')
s('passport_errors', 'abc', '{"errors": [{"source": "data", "type": "passport", "field_name": "document_no", "data_hash": "aGFzaA==", "message": "The number is unreadable"}]}')
s('passport_file', 'abc/0')
s('user', 'site-user-42')
s('confirm', 'site-user-42', '{}')
s('me_cookie', 'AAAAAAAAAAAAAAAAAAAAAA')

# store_records: 0 sealed blob (+ purpose byte), 1 session data, 2 client URI list.
w('store_records', 'sealed', b'\x00\x00' + bytes(range(48)))
w('store_records', 'session', b'\x01' + json.dumps({"tgauth.user": {"telegram_id": 42, "method": "widget", "created_at": 1800000000, "expires_at": 1800086400, "profile": {"first_name": "Ada"}}}).encode())
w('store_records', 'uris', b'\x02' + json.dumps(["https://shop.example/callback"]).encode())
