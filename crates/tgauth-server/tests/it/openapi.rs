//! The OpenAPI document against the code: it is OpenAPI 3.1 whose references resolve, every
//! route the source registers is documented with its methods and nothing else is, the error
//! codes the handlers answer are the documented ones, and the running service serves the file
//! and enforces the documented security.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use super::support::{Running, client, on_every_database};

/// The HTTP methods an OpenAPI path item holds, as its keys spell them.
const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// The document as the crate embeds and serves it.
fn document() -> Value {
    serde_json::from_str(tgauth_server::OPENAPI).expect("openapi.json is valid JSON")
}

fn manifest_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `(METHOD, path)` of every operation in `paths`.
fn documented_routes(document: &Value) -> BTreeSet<(String, String)> {
    let paths = document["paths"].as_object().expect("`paths` is an object");
    let mut routes = BTreeSet::new();
    for (path, item) in paths {
        let item = item.as_object().expect("a path item is an object");
        for method in METHODS {
            if item.contains_key(method) {
                routes.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    routes
}

/// Every operation of the document: `(METHOD, path, path item, operation)`.
fn operations(document: &Value) -> Vec<(String, String, &Value, &Value)> {
    let mut operations = Vec::new();
    for (path, item) in document["paths"].as_object().expect("`paths` is an object") {
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                operations.push((method.to_uppercase(), path.clone(), item, operation));
            }
        }
    }
    operations
}

// ---------------------------------------------------------------------------------------------
// A small reader of Rust source: enough to find route registrations and error codes. Comments
// are skipped and string literals kept whole, so a path in a doc comment or a parenthesis inside
// a string does not count.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    /// An identifier, keyword or number.
    Word(String),
    /// The contents of a string literal (escapes left as written).
    Str(String),
    /// Any other character.
    Punct(char),
}

fn tokens(source: &str) -> Vec<Token> {
    let chars: Vec<char> = source.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
        } else if c == '"' {
            let mut text = String::new();
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    text.push(chars[i]);
                    i += 1;
                }
                if let Some(&c) = chars.get(i) {
                    text.push(c);
                }
                i += 1;
            }
            i += 1;
            tokens.push(Token::Str(text));
        } else if c == 'r' && matches!(next, Some('"' | '#')) {
            // A raw string: r"..." or r#"..."#.
            let mut hashes = 0;
            let mut j = i + 1;
            while chars.get(j) == Some(&'#') {
                hashes += 1;
                j += 1;
            }
            if chars.get(j) != Some(&'"') {
                tokens.push(Token::Word("r".to_owned()));
                i += 1;
                continue;
            }
            let close: Vec<char> = std::iter::once('"')
                .chain(std::iter::repeat_n('#', hashes))
                .collect();
            let start = j + 1;
            let mut end = start;
            while end < chars.len() && !chars[end..].starts_with(&close) {
                end += 1;
            }
            tokens.push(Token::Str(chars[start..end].iter().collect()));
            i = end + close.len();
        } else if c == '\'' {
            // A character literal ('x', '\n', '\\'), else a lifetime or label.
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                tokens.push(Token::Str(String::new()));
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                tokens.push(Token::Str(String::new()));
            } else {
                tokens.push(Token::Punct('\''));
                i += 1;
            }
        } else if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(Token::Word(chars[start..i].iter().collect()));
        } else {
            tokens.push(Token::Punct(c));
            i += 1;
        }
    }
    tokens
}

fn is_word(token: Option<&Token>, word: &str) -> bool {
    matches!(token, Some(Token::Word(w)) if w == word)
}

fn is_punct(token: Option<&Token>, punct: char) -> bool {
    matches!(token, Some(Token::Punct(p)) if *p == punct)
}

/// The index just past the `)` that closes the `(` at `open`.
fn closing(tokens: &[Token], open: usize) -> usize {
    let mut depth = 0usize;
    for (index, token) in tokens.iter().enumerate().skip(open) {
        match token {
            Token::Punct('(' | '[' | '{') => depth += 1,
            Token::Punct(')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    return index + 1;
                }
            }
            _ => {}
        }
    }
    panic!("unbalanced parentheses in the source");
}

/// The routes registered in one file: `.route("<path>", get(..).post(..))` (axum's method
/// routers, possibly chained or qualified) and the Bot API client's `webhook::router("<path>",
/// ..)`, which answers POST. Anything else that registers a route is refused, so that a new
/// way to register one cannot slip past this test.
fn registered_routes(file: &Path, source: &str) -> Vec<(String, String)> {
    let tokens = tokens(source);
    let name = file.display();
    let mut routes = Vec::new();
    for (index, token) in tokens.iter().enumerate() {
        let Token::Word(word) = token else { continue };
        let after_dot = index > 0 && is_punct(tokens.get(index - 1), '.');
        let called = is_punct(tokens.get(index + 1), '(');
        if after_dot
            && called
            && matches!(
                word.as_str(),
                "nest" | "nest_service" | "route_service" | "fallback_service"
            )
        {
            panic!("{name}: `.{word}(` registers routes this test cannot read; teach it");
        }
        if word == "router"
            && called
            && index >= 3
            && is_word(tokens.get(index - 3), "webhook")
            && is_punct(tokens.get(index - 2), ':')
        {
            match tokens.get(index + 2) {
                Some(Token::Str(path)) => routes.push(("POST".to_owned(), path.clone())),
                other => panic!("{name}: webhook::router's path is not a literal: {other:?}"),
            }
            continue;
        }
        if !(word == "route" && after_dot && called) {
            continue;
        }
        let Some(Token::Str(path)) = tokens.get(index + 2) else {
            panic!("{name}: a `.route(` whose path is not a string literal");
        };
        assert!(
            is_punct(tokens.get(index + 3), ','),
            "{name}: `.route(\"{path}\"` is not followed by a method router"
        );
        let end = closing(&tokens, index + 1) - 1;
        let mut methods = Vec::new();
        let mut depth = 0usize;
        for position in index + 4..end {
            match &tokens[position] {
                Token::Punct('(' | '[' | '{') => depth += 1,
                Token::Punct(')' | ']' | '}') => depth -= 1,
                Token::Word(method) if depth == 0 && is_punct(tokens.get(position + 1), '(') => {
                    assert!(
                        METHODS.contains(&method.as_str()),
                        "{name}: route {path} uses `{method}(`, which this test does not know as an HTTP method"
                    );
                    methods.push(method.to_uppercase());
                }
                _ => {}
            }
        }
        assert!(
            !methods.is_empty(),
            "{name}: no method found for route {path}"
        );
        routes.extend(methods.into_iter().map(|method| (method, path.clone())));
    }
    routes
}

/// The files whose routes make up the service: `src/http/*.rs` and `src/bot.rs`.
fn route_files() -> Vec<PathBuf> {
    let http = manifest_dir().join("src/http");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&http)
        .expect("src/http is readable")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "rs"))
        .collect();
    files.push(manifest_dir().join("src/bot.rs"));
    files.sort();
    files
}

fn source_routes() -> BTreeSet<(String, String)> {
    let mut routes = BTreeSet::new();
    for file in route_files() {
        let source = std::fs::read_to_string(&file).expect("a source file is readable");
        for route in registered_routes(&file, &source) {
            assert!(
                routes.insert(route.clone()),
                "{} {} is registered twice",
                route.0,
                route.1
            );
        }
    }
    routes
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("a source directory is readable") {
        let path = entry.expect("a directory entry").path();
        if path.is_dir() {
            rust_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
}

/// The error codes the source writes as literals: the code argument of `HttpError::client`,
/// `bad_request`, `unauthorized` and `conflict` (through `HttpError::` or `Self::`), and the
/// fixed `code: "..."` of the constructors in `error.rs`. A call whose code is a variable
/// (auth.rs maps login errors through a tuple) is not counted here; its codes are literals
/// elsewhere in the source, which `every_documented_error_code_is_in_the_source` checks.
/// Also every string literal, for that test.
fn source_error_codes() -> (BTreeSet<String>, BTreeSet<String>) {
    let mut files = Vec::new();
    rust_files(&manifest_dir().join("src"), &mut files);
    // The service's own pages answer browsers with HTML pages, and the OpenID Connect provider
    // answers with OAuth's errors: neither is the JSON API, whose codes the document lists.
    let pages = manifest_dir().join("src/pages");
    let provider = manifest_dir().join("src/provider");
    files.retain(|file| !file.starts_with(&pages) && !file.starts_with(&provider));
    let mut codes = BTreeSet::new();
    let mut literals = BTreeSet::new();
    for file in files {
        let source = std::fs::read_to_string(&file).expect("a source file is readable");
        let tokens = tokens(&source);
        for (index, token) in tokens.iter().enumerate() {
            match token {
                Token::Str(text) => {
                    literals.insert(text.clone());
                }
                Token::Word(word)
                    if matches!(
                        word.as_str(),
                        "client" | "bad_request" | "unauthorized" | "conflict"
                    ) && index >= 3
                        && is_punct(tokens.get(index - 1), ':')
                        && is_punct(tokens.get(index - 2), ':')
                        && (is_word(tokens.get(index - 3), "HttpError")
                            || is_word(tokens.get(index - 3), "Self"))
                        && is_punct(tokens.get(index + 1), '(') =>
                {
                    let end = closing(&tokens, index + 1);
                    // The code is the first argument, or the second of `client(status, ..)`.
                    let mut arguments = Vec::new();
                    let mut start = index + 2;
                    let mut depth = 0usize;
                    for position in index + 2..end {
                        match &tokens[position] {
                            Token::Punct('(' | '[' | '{') => depth += 1,
                            Token::Punct(')' | ']' | '}') if depth > 0 => depth -= 1,
                            Token::Punct(',' | ')') if depth == 0 => {
                                arguments.push(&tokens[start..position]);
                                start = position + 1;
                            }
                            _ => {}
                        }
                    }
                    let code = if word == "client" {
                        arguments.get(1)
                    } else {
                        arguments.first()
                    };
                    if let Some([Token::Str(code)]) = code.map(|tokens| &tokens[..]) {
                        codes.insert(code.clone());
                    }
                }
                Token::Word(word)
                    if word == "code"
                        && is_punct(tokens.get(index + 1), ':')
                        && !is_punct(tokens.get(index + 2), ':') =>
                {
                    if let Some(Token::Str(code)) = tokens.get(index + 2) {
                        codes.insert(code.clone());
                    }
                }
                _ => {}
            }
        }
    }
    (codes, literals)
}

fn documented_error_codes(document: &Value) -> BTreeSet<String> {
    document
        .pointer("/components/schemas/Error/properties/error/properties/code/enum")
        .and_then(Value::as_array)
        .expect("the Error schema enumerates its codes")
        .iter()
        .map(|code| code.as_str().expect("a code is a string").to_owned())
        .collect()
}

/// Every `$ref` in `value`, with where it sits.
fn references<'a>(value: &'a Value, at: String, found: &mut Vec<(String, &'a str)>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                if key == "$ref" {
                    found.push((at.clone(), child.as_str().expect("a $ref is a string")));
                } else {
                    references(child, format!("{at}/{key}"), found);
                }
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                references(child, format!("{at}/{index}"), found);
            }
        }
        _ => {}
    }
}

/// The codes an error response documents: its schema's `enum` restriction and its examples.
fn response_codes(response: &Value) -> Vec<String> {
    let Some(media) = response.pointer("/content/application~1json") else {
        return Vec::new();
    };
    let mut codes = Vec::new();
    if let Some(listed) = media
        .pointer("/schema/properties/error/properties/code/enum")
        .and_then(Value::as_array)
    {
        codes.extend(listed.iter().filter_map(Value::as_str).map(str::to_owned));
    }
    if let Some(examples) = media.get("examples").and_then(Value::as_object) {
        codes.extend(
            examples
                .values()
                .filter_map(|example| example.pointer("/value/error/code"))
                .filter_map(Value::as_str)
                .map(str::to_owned),
        );
    }
    codes
}

/// A response, following one `$ref` into `components/responses`.
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    match value.get("$ref").and_then(Value::as_str) {
        Some(reference) => document
            .pointer(reference.trim_start_matches('#'))
            .expect("a $ref resolves"),
        None => value,
    }
}

// ---------------------------------------------------------------------------------------------
// The document alone.

#[test]
fn the_document_is_openapi_3_1_and_every_reference_resolves() {
    let document = document();
    let version = document["openapi"].as_str().expect("`openapi` is a string");
    assert!(version.starts_with("3.1."), "not OpenAPI 3.1: {version}");
    assert!(document["info"]["title"].is_string());
    assert!(document["info"]["version"].is_string());
    assert!(
        document["paths"]
            .as_object()
            .is_some_and(|paths| !paths.is_empty())
    );
    let mut found = Vec::new();
    references(&document, String::new(), &mut found);
    assert!(
        found.len() > 50,
        "suspiciously few references: {}",
        found.len()
    );
    let broken: Vec<String> = found
        .iter()
        .filter(|(_, reference)| {
            reference
                .strip_prefix('#')
                .is_none_or(|pointer| document.pointer(pointer).is_none())
        })
        .map(|(at, reference)| format!("{at}: {reference}"))
        .collect();
    assert!(broken.is_empty(), "unresolved $ref:\n{}", broken.join("\n"));

    let mut ids = BTreeSet::new();
    for (method, path, item, operation) in operations(&document) {
        let id = operation["operationId"]
            .as_str()
            .unwrap_or_else(|| panic!("{method} {path} has no operationId"));
        assert!(ids.insert(id.to_owned()), "operationId {id} is used twice");
        let responses = operation["responses"]
            .as_object()
            .unwrap_or_else(|| panic!("{method} {path} has no responses"));
        assert!(!responses.is_empty(), "{method} {path} has no responses");
        // Every `{name}` in the path is a path parameter, and every path parameter is in it.
        let in_path: BTreeSet<&str> = path
            .split('{')
            .skip(1)
            .filter_map(|part| part.split_once('}').map(|(name, _)| name))
            .collect();
        let declared: BTreeSet<&str> = [item.get("parameters"), operation.get("parameters")]
            .into_iter()
            .flatten()
            .filter_map(Value::as_array)
            .flatten()
            .filter(|parameter| parameter["in"] == "path")
            .map(|parameter| parameter["name"].as_str().expect("a parameter has a name"))
            .collect();
        assert_eq!(in_path, declared, "{method} {path}: path parameters");
    }
}

#[test]
fn the_documented_security_is_the_issues() {
    let document = document();
    let schemes = &document["components"]["securitySchemes"];
    assert_eq!(schemes["apiKey"]["type"], "http");
    assert_eq!(schemes["apiKey"]["scheme"], "bearer");
    assert_eq!(schemes["sessionCookie"]["in"], "cookie");
    assert_eq!(schemes["sessionCookie"]["name"], "tgauth_session");
    for (method, path, _, operation) in operations(&document) {
        let security = operation
            .get("security")
            .unwrap_or_else(|| panic!("{method} {path} says nothing about its security"));
        let expected = match path.as_str() {
            "/api/v1/me" => json!([{"sessionCookie": []}]),
            "/api/v1/openapi.json" => json!([]),
            api if api.starts_with("/api/v1/") => json!([{"apiKey": []}]),
            _ => continue,
        };
        assert_eq!(security, &expected, "{method} {path}: security");
        if expected == json!([{"apiKey": []}]) {
            let refused = resolve(&document, &operation["responses"]["401"]);
            let codes = response_codes(refused);
            assert!(
                codes.contains(&"missing_api_key".to_owned())
                    && codes.contains(&"invalid_api_key".to_owned()),
                "{method} {path}: the 401 does not list the API key refusals"
            );
        }
    }
}

#[test]
fn every_error_response_uses_the_shared_error_object_and_its_codes() {
    let document = document();
    let codes = documented_error_codes(&document);
    let mut used = BTreeSet::new();
    for (method, path, _, operation) in operations(&document) {
        for (status, response) in operation["responses"].as_object().expect("responses") {
            let response = resolve(&document, response);
            let Some(media) = response.pointer("/content/application~1json") else {
                continue;
            };
            if !(status.starts_with('4') || status.starts_with('5')) {
                continue;
            }
            let schema = &media["schema"];
            let shares = schema["$ref"] == "#/components/schemas/Error"
                || schema["allOf"][0]["$ref"] == "#/components/schemas/Error";
            if path == "/readyz" {
                continue;
            }
            assert!(
                shares,
                "{method} {path} {status}: not the shared Error schema"
            );
            let listed = response_codes(response);
            assert!(
                !listed.is_empty(),
                "{method} {path} {status}: lists no codes"
            );
            for code in listed {
                assert!(
                    codes.contains(&code),
                    "{method} {path} {status}: `{code}` is not in the Error schema's codes"
                );
                used.insert(code);
            }
        }
    }
    // Answered by the router for any path rather than by an operation: an unknown method of a
    // path, and a request past the timeout (both in the Error schema's description).
    for code in ["method_not_allowed", "timeout"] {
        used.insert(code.to_owned());
    }
    let unused: Vec<&String> = codes.difference(&used).collect();
    assert!(unused.is_empty(), "codes no operation answers: {unused:?}");
}

// ---------------------------------------------------------------------------------------------
// The document against the source.

#[test]
fn every_registered_route_is_documented_and_every_documented_route_is_registered() {
    let registered = source_routes();
    // The reader must see the routes at all: a few that have always been there.
    for known in [
        ("GET", "/healthz"),
        ("POST", "/api/v1/links"),
        ("POST", "/logout"),
        ("POST", "/telegram/webhook/{path}"),
    ] {
        assert!(
            registered.contains(&(known.0.to_owned(), known.1.to_owned())),
            "the source reader missed {} {}",
            known.0,
            known.1
        );
    }
    let documented = documented_routes(&document());
    let undocumented: Vec<String> = registered
        .difference(&documented)
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    let unregistered: Vec<String> = documented
        .difference(&registered)
        .map(|(method, path)| format!("{method} {path}"))
        .collect();
    assert!(
        undocumented.is_empty() && unregistered.is_empty(),
        "registered in the source but not in openapi.json: {undocumented:?}\n\
         in openapi.json but registered nowhere in src/http/*.rs or src/bot.rs: {unregistered:?}"
    );
}

#[test]
fn the_source_reader_finds_methods_and_refuses_what_it_cannot_read() {
    let source = r#"
        // .route("/commented", get(nothing))
        fn routes() -> Router {
            Router::new()
                .route("/a/{id}", get(show).delete(erase))
                .route("/b", axum::routing::post(move |x: X| async move { get(x) }))
                .route_layer(layer)
        }
        fn hook() { webhook::router("/hook", config, handler) }
    "#;
    let routes = registered_routes(Path::new("sample.rs"), source);
    assert_eq!(
        routes,
        [
            ("GET", "/a/{id}"),
            ("DELETE", "/a/{id}"),
            ("POST", "/b"),
            ("POST", "/hook")
        ]
        .map(|(method, path)| (method.to_owned(), path.to_owned()))
    );
    for unreadable in [
        r#"Router::new().nest("/x", other)"#,
        r#"Router::new().route("/x", any(handler))"#,
        r#"Router::new().route(PATH, get(handler))"#,
    ] {
        let refused =
            std::panic::catch_unwind(|| registered_routes(Path::new("sample.rs"), unreadable));
        assert!(refused.is_err(), "read without complaint: {unreadable}");
    }
}

#[test]
fn every_error_code_in_the_source_is_documented_and_every_documented_one_is_in_the_source() {
    let document = document();
    let documented = documented_error_codes(&document);
    let (codes, literals) = source_error_codes();
    for known in ["missing_api_key", "not_found", "unavailable", "internal"] {
        assert!(codes.contains(known), "the source reader missed `{known}`");
    }
    let undocumented: Vec<&String> = codes.difference(&documented).collect();
    assert!(
        undocumented.is_empty(),
        "error codes the handlers answer that openapi.json does not list: {undocumented:?}"
    );
    let stale: Vec<&String> = documented
        .iter()
        .filter(|code| !literals.contains(*code))
        .collect();
    assert!(
        stale.is_empty(),
        "error codes openapi.json lists that no source file spells: {stale:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// The document against the running service.

/// A documented path with every `{parameter}` filled in.
fn concrete(path: &str) -> String {
    path.replace("{user}", "site-user-42")
        .replace("{id}", "unknown-id")
        .replace("{index}", "0")
}

on_every_database!(the_service_serves_the_file_and_enforces_the_documented_security);

async fn the_service_serves_the_file_and_enforces_the_documented_security(running: Running) {
    let client = client();

    let response = client
        .get(format!("{}/api/v1/openapi.json", running.url))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK, "served without a key");
    assert_eq!(
        response.headers()[reqwest::header::CONTENT_TYPE],
        "application/json"
    );
    let served: Value = response.json().await.unwrap();
    let file = std::fs::read_to_string(manifest_dir().join("openapi.json")).unwrap();
    let file: Value = serde_json::from_str(&file).unwrap();
    assert_eq!(served, file, "the served document is not openapi.json");

    let document = document();
    let wrong_key = format!("tga_{}.{}", "A".repeat(12), "B".repeat(43));
    let mut checked = BTreeSet::new();
    for (method, path, _, operation) in operations(&document) {
        let Some(security) = operation["security"].as_array() else {
            continue;
        };
        let url = format!("{}{}", running.url, concrete(&path));
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let send = |key: Option<&str>| {
            let mut request = client.request(method.clone(), &url);
            if let Some(key) = key {
                request = request.bearer_auth(key);
            }
            if operation.get("requestBody").is_some() {
                request = request.json(&json!({}));
            }
            request.send()
        };
        let scheme = security
            .first()
            .and_then(Value::as_object)
            .and_then(|requirement| requirement.keys().next().cloned());
        match scheme.as_deref() {
            Some("apiKey") => {
                for (key, code) in [
                    (None, "missing_api_key"),
                    (Some(&*wrong_key), "invalid_api_key"),
                ] {
                    let response = send(key).await.unwrap();
                    assert_eq!(
                        response.status(),
                        StatusCode::UNAUTHORIZED,
                        "{method} {path} without a valid key"
                    );
                    let body: Value = response.json().await.unwrap();
                    assert_eq!(body["error"]["code"], code, "{method} {path}: {body}");
                }
                // With the key, the request gets past the key check (to a 2xx or another
                // documented answer).
                let response = send(Some(&running.api_key)).await.unwrap();
                let status = response.status().as_str().to_owned();
                assert_ne!(status, "401", "{method} {path} refuses a valid key");
                assert!(
                    operation["responses"].get(&status).is_some(),
                    "{method} {path} answered {status}, which it does not document"
                );
            }
            Some("sessionCookie") if path.starts_with("/api/") => {
                let response = send(None).await.unwrap();
                assert_eq!(
                    response.status(),
                    StatusCode::UNAUTHORIZED,
                    "{method} {path}"
                );
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["error"]["code"], "not_logged_in");
            }
            _ => continue,
        }
        checked.insert(format!("{method} {path}"));
    }
    assert!(
        checked.contains("GET /api/v1/me") && checked.contains("POST /api/v1/links"),
        "the security walk checked too little: {:?}",
        checked
    );
    running.stop().await;
}
