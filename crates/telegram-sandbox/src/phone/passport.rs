//! Telegram Passport on the phone: the form for exactly what a request's scope asks, prefilled
//! with sample data and pictures, its submission through the sandbox's sealing, and the page
//! that shows the errors the bot sets afterwards.

use std::sync::Arc;

use askama::Template;
use axum::{
    Json,
    body::Bytes,
    extract::{RawQuery, State},
    http::{HeaderMap, StatusCode, header},
    response::IntoResponse,
};
use passport_types::{
    element::ElementType,
    scope::{PassportScope, ScopeElement, ScopeElementOne},
};
use reqwest::Url;
use serde_json::{Map, Value, json};
use tgauth_core::{BotId, UserId, encode_uri_component};

use crate::{
    pages::{
        Fields, PageError, PageResult, PathName, UserView, fingerprint, phone_user,
        phone_user_or_picker, render, see_other, switch_href,
    },
    passport::{PassportElementInput, PassportFileInput, PassportSubmission},
    samples::{Part, element_name, sample_fields, sample_picture},
    shared::Shared,
    types::PassportErrors,
};

/// A Passport request as a `tg://resolve?domain=telegrampassport` link carries it, checked
/// against the bot it names.
struct Request {
    bot_name: String,
    bot_username: String,
    bot_id: BotId,
    scope: PassportScope,
    scope_text: String,
    public_key: String,
    nonce: String,
    callback_url: Option<String>,
}

fn unreadable(reason: impl std::fmt::Display) -> PageError {
    PageError::bad_request(
        "This Passport request cannot be read",
        format!("Its scope is not valid: {reason}."),
    )
}

/// An element type from the official JS SDK's short alias (`pp`, `pd`, ...) or its full name.
fn full_type(value: Value) -> Value {
    match value {
        Value::String(name) => {
            let known = ElementType::KNOWN
                .iter()
                .find(|kind| kind.uri_alias() == Some(name.as_str()));
            Value::String(known.map_or(name, |kind| kind.as_str().to_owned()))
        }
        other => other,
    }
}

/// One element of the SDK's packed scope (`{"_":"pp","s":1}`) in the Bot API's form
/// (`{"type":"passport","selfie":true}`); keys it does not know are kept, so that the scope's
/// own parser refuses them.
fn expand_element(value: Value) -> Value {
    let Value::Object(mut object) = value else {
        return full_type(value);
    };
    let Some(kind) = object.remove("_") else {
        return Value::Object(object);
    };
    let mut expanded = Map::new();
    match kind {
        Value::Array(members) => {
            let members = members.into_iter().map(expand_element).collect();
            expanded.insert("one_of".to_owned(), Value::Array(members));
        }
        kind => {
            expanded.insert("type".to_owned(), full_type(kind));
        }
    }
    for (short, long) in [("s", "selfie"), ("t", "translation"), ("n", "native_names")] {
        if let Some(flag) = object.remove(short) {
            let set = flag == json!(1) || flag == json!(true);
            expanded.insert(long.to_owned(), Value::Bool(set));
        }
    }
    expanded.extend(object);
    Value::Object(expanded)
}

/// Reads a scope in either form: the Bot API's (`{"data":[...],"v":1}`) or the one the
/// official JS SDK packs into links (`{"v":1,"d":[...]}` with short aliases), then checks it
/// against the spec's rules.
pub(super) fn parse_scope(text: &str) -> Result<PassportScope, PageError> {
    let mut value: Value = serde_json::from_str(text).map_err(unreadable)?;
    if let Value::Object(object) = &mut value
        && !object.contains_key("data")
        && let Some(packed) = object.remove("d")
    {
        let Value::Array(items) = packed else {
            return Err(unreadable("`d` must be an array"));
        };
        let items = items.into_iter().map(expand_element).collect();
        object.insert("data".to_owned(), Value::Array(items));
    }
    let scope: PassportScope = serde_json::from_value(value).map_err(unreadable)?;
    scope.validate().map_err(unreadable)?;
    Ok(scope)
}

/// A PEM with its whitespace removed, to compare keys however their lines were wrapped.
fn normalized_key(pem: &str) -> String {
    pem.split_whitespace().collect()
}

impl Request {
    fn of(shared: &Shared, fields: &Fields) -> Result<Self, PageError> {
        let bot_id = fields
            .required("bot_id")?
            .trim()
            .parse::<i64>()
            .map(BotId)
            .map_err(|_| PageError::bad_request("Not a bot id", "bot_id must be a number."))?;
        let scope_text = fields.required("scope")?.to_owned();
        let scope = parse_scope(&scope_text)?;
        let public_key = fields.required("public_key")?.to_owned();
        let nonce = fields
            .text("nonce")
            .or_else(|| fields.text("payload"))
            .ok_or_else(|| PageError::missing("nonce"))?
            .to_owned();
        let state = shared.lock();
        let bot = state.bots.get(&bot_id).ok_or_else(|| {
            PageError::not_found(
                "No such bot",
                format!("The sandbox has no bot with id {bot_id}."),
            )
        })?;
        let username = bot.user.username.clone().unwrap_or_default();
        let Some(registered) = &bot.passport_public_key_pem else {
            return Err(PageError::bad_request(
                "This bot cannot receive Passport data",
                format!(
                    "@{username} has registered no Passport public key, so the Telegram app \
                     has nothing to encrypt the data to."
                ),
            ));
        };
        if normalized_key(registered) != normalized_key(&public_key) {
            return Err(PageError::bad_request(
                "The request's public key is not the bot's",
                format!(
                    "The link carries a public key that differs from the one @{username} \
                     registered with BotFather (/setpublickey). The Telegram app refuses such a \
                     request: the bot could not decrypt what it received. Give the service the \
                     private key whose public key the bot registered."
                ),
            ));
        }
        Ok(Self {
            bot_name: bot.user.first_name.clone(),
            bot_username: username,
            bot_id,
            scope,
            scope_text,
            public_key,
            nonce,
            callback_url: fields.text("callback_url").map(str::to_owned),
        })
    }

    /// This request's form address, for the picker to come back to.
    fn form_path(&self) -> String {
        let mut path = format!(
            "/phone/passport?domain=telegrampassport&bot_id={}&scope={}&public_key={}&nonce={}",
            self.bot_id,
            encode_uri_component(&self.scope_text),
            encode_uri_component(&self.public_key),
            encode_uri_component(&self.nonce),
        );
        if let Some(callback_url) = &self.callback_url {
            path.push_str("&callback_url=");
            path.push_str(&encode_uri_component(callback_url).to_string());
        }
        path
    }
}

/// `callback_url` with `tg_passport=<outcome>` added, as the app opens it; only web URLs.
fn callback_with(callback_url: Option<&str>, outcome: &str) -> Option<String> {
    let mut url = callback_url
        .and_then(|url| Url::parse(url).ok())
        .filter(|url| matches!(url.scheme(), "http" | "https"))?;
    url.query_pairs_mut().append_pair("tg_passport", outcome);
    Some(url.into())
}

/// The file slots an element of `kind` has, given what the scope asks.
fn parts_of(kind: &ElementType, selfie: bool, translation: bool) -> Vec<Part> {
    Part::ALL
        .into_iter()
        .filter(|part| match part {
            Part::FrontSide => kind.has_front_side(),
            Part::ReverseSide => kind.has_reverse_side(),
            Part::Selfie => selfie && kind.is_identity_document(),
            Part::Files => kind.has_files(),
            Part::Translation => translation && kind.is_document(),
        })
        .collect()
}

/// The element types a scope element offers, each with whether a selfie and a translation
/// are asked for it, and whether native names are.
fn members(element: &ScopeElement) -> Vec<(ScopeElementOne, bool, bool)> {
    match element {
        ScopeElement::One(one) => vec![(one.clone(), one.selfie, one.translation)],
        ScopeElement::OneOf(several) => several
            .one_of
            .iter()
            .map(|one| {
                (
                    one.clone(),
                    several.selfie || one.selfie,
                    several.translation || one.translation,
                )
            })
            .collect(),
    }
}

/// The type whose pictures an element shows and sends: the first one it offers.
fn picture_kind(element: &ScopeElement) -> ElementType {
    members(element)
        .first()
        .map_or(ElementType::PersonalDetails, |(one, _, _)| one.kind.clone())
}

/// What a person reads for an element of the scope, with the options asked.
fn describe(element: &ScopeElement) -> String {
    let (mut text, selfie, translation, native) = match element {
        ScopeElement::One(one) => (
            element_name(&one.kind).to_owned(),
            one.selfie,
            one.translation,
            one.native_names,
        ),
        ScopeElement::OneOf(several) => {
            let names: Vec<&str> = several
                .one_of
                .iter()
                .map(|one| element_name(&one.kind))
                .collect();
            (
                format!("One of: {}", names.join(", ")),
                several.selfie,
                several.translation,
                false,
            )
        }
    };
    for (asked, what) in [
        (selfie, "a selfie"),
        (translation, "a translation"),
        (native, "names in the native language"),
    ] {
        if asked {
            text.push_str(", with ");
            text.push_str(what);
        }
    }
    text
}

pub(super) struct Choice {
    value: String,
    label: String,
}

pub(super) struct FieldView {
    name: String,
    label: String,
    value: String,
    input_type: &'static str,
}

pub(super) struct FileView {
    name: String,
    label: String,
    src: String,
}

pub(super) struct ElementView {
    index: usize,
    title: String,
    choices: Vec<Choice>,
    fields: Vec<FieldView>,
    files: Vec<FileView>,
}

#[derive(Template)]
#[template(path = "passport.html")]
struct PassportPage {
    bot_name: String,
    bot_username: String,
    user: UserView,
    summary: Vec<String>,
    elements: Vec<ElementView>,
    bot_id: String,
    scope_text: String,
    public_key: String,
    nonce: String,
    callback_url: String,
    cancel_href: String,
    switch_href: String,
}

fn element_view(index: usize, element: &ScopeElement, first: &str, last: &str) -> ElementView {
    let offered = members(element);
    let choices = match element {
        ScopeElement::OneOf(_) => offered
            .iter()
            .map(|(one, _, _)| Choice {
                value: one.kind.as_str().to_owned(),
                label: element_name(&one.kind).to_owned(),
            })
            .collect(),
        ScopeElement::One(_) => Vec::new(),
    };
    let shown = picture_kind(element);
    let native = offered.iter().any(|(one, _, _)| one.native_names);
    let fields = sample_fields(&shown, native, first, last)
        .into_iter()
        .map(|field| FieldView {
            name: format!("e{index}_{}", field.key),
            label: field.label.to_owned(),
            value: field.value,
            input_type: match field.key {
                "email" => "email",
                "phone_number" => "tel",
                _ => "text",
            },
        })
        .collect();
    let mut files: Vec<FileView> = Vec::new();
    for part in Part::ALL {
        let needed_by: Vec<&str> = offered
            .iter()
            .filter(|(one, selfie, translation)| {
                parts_of(&one.kind, *selfie, *translation).contains(&part)
            })
            .map(|(one, _, _)| element_name(&one.kind))
            .collect();
        if needed_by.is_empty() {
            continue;
        }
        let label = if needed_by.len() < offered.len() {
            format!("{} (for {})", part.label(), needed_by.join(", "))
        } else {
            part.label().to_owned()
        };
        files.push(FileView {
            name: format!("e{index}_{}", part.as_str()),
            label,
            src: format!(
                "/phone/passport/sample/{}-{}.png",
                shown.as_str(),
                part.as_str()
            ),
        });
    }
    ElementView {
        index,
        title: describe(element),
        choices,
        fields,
        files,
    }
}

/// `GET /phone/passport?...`: the Passport form.
pub(super) async fn form(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> PageResult {
    let fields = Fields::of_query(query.as_deref());
    let request = Request::of(&shared, &fields)?;
    let here = request.form_path();
    let user = phone_user_or_picker(&shared, &headers, &here)?;
    let last_name = user
        .last_name
        .clone()
        .unwrap_or_else(|| "Sample".to_owned());
    let elements = request
        .scope
        .data
        .iter()
        .enumerate()
        .map(|(index, element)| element_view(index, element, &user.first_name, &last_name))
        .collect();
    Ok(render(&PassportPage {
        summary: request.scope.data.iter().map(describe).collect(),
        elements,
        user: UserView::of(&user),
        switch_href: switch_href(&here),
        bot_id: request.bot_id.to_string(),
        cancel_href: callback_with(request.callback_url.as_deref(), "cancel")
            .unwrap_or_else(|| "/phone".to_owned()),
        callback_url: request.callback_url.unwrap_or_default(),
        bot_name: request.bot_name,
        bot_username: request.bot_username,
        scope_text: request.scope_text,
        public_key: request.public_key,
        nonce: request.nonce,
    }))
}

fn sample_file(
    kind: &ElementType,
    part: Part,
    broken: bool,
) -> Result<PassportFileInput, PageError> {
    let contents = sample_picture(kind, part).map_err(|_| {
        PageError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The sample picture failed",
            "The sandbox could not draw a sample picture.",
        )
    })?;
    Ok(PassportFileInput { contents, broken })
}

/// The element the form keeps at `index`, or `None` when it was left out.
fn element_input(
    fields: &Fields,
    index: usize,
    element: &ScopeElement,
) -> Result<Option<PassportElementInput>, PageError> {
    let name = |key: &str| format!("e{index}_{key}");
    if !fields.checked(&name("include")) {
        return Ok(None);
    }
    let offered = members(element);
    let (chosen, selfie, translation) = match element {
        ScopeElement::One(_) => offered.into_iter().next(),
        ScopeElement::OneOf(_) => {
            let wanted = fields.get(&name("type")).unwrap_or_default();
            offered
                .into_iter()
                .find(|(one, _, _)| one.kind.as_str() == wanted)
        }
    }
    .ok_or_else(|| {
        PageError::bad_request(
            "Choose a document",
            "Choose one of the documents the request offers.",
        )
    })?;
    let kind = chosen.kind;
    let mut input = PassportElementInput {
        kind: kind.as_str().to_owned(),
        ..PassportElementInput::default()
    };
    let value = |key: &str| fields.get(&name(key)).unwrap_or_default().trim().to_owned();
    match &kind {
        ElementType::PhoneNumber => input.phone_number = Some(value("phone_number")),
        ElementType::Email => input.email = Some(value("email")),
        kind if kind.has_data() => {
            let mut data = Map::new();
            for field in sample_fields(kind, chosen.native_names, "", "") {
                let text = value(field.key);
                // Telegram's apps always write expiry_date, empty for documents that do not
                // expire; other fields are left out when empty.
                if !text.is_empty() || field.key == "expiry_date" {
                    data.insert(field.key.to_owned(), Value::String(text));
                }
            }
            input.data = Some(Value::Object(data));
        }
        _ => {}
    }
    let shown = picture_kind(element);
    for part in parts_of(&kind, selfie, translation) {
        let file = sample_file(
            &shown,
            part,
            fields.checked(&name(&format!("{}_broken", part.as_str()))),
        )?;
        match part {
            Part::FrontSide => input.front_side = Some(file),
            Part::ReverseSide => input.reverse_side = Some(file),
            Part::Selfie => input.selfie = Some(file),
            Part::Files => input.files = Some(vec![file]),
            Part::Translation => input.translation = Some(vec![file]),
        }
    }
    Ok(Some(input))
}

/// `POST /phone/passport`: seals the kept elements to the bot and sends them as the user.
pub(super) async fn submit(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    body: Bytes,
) -> PageResult {
    let fields = Fields::parse(&body);
    let request = Request::of(&shared, &fields)?;
    let user = phone_user_or_picker(&shared, &headers, &request.form_path())?;
    let mut elements = Vec::new();
    for (index, element) in request.scope.data.iter().enumerate() {
        if let Some(input) = element_input(&fields, index, element)? {
            elements.push(input);
        }
    }
    let since = shared
        .lock()
        .bot_mut(&request.bot_username)?
        .passport_errors
        .len();
    shared.submit_passport(
        &request.bot_username,
        PassportSubmission {
            user_id: user.id,
            nonce: request.nonce,
            elements,
        },
    )?;
    shared.changed();
    let mut location = format!(
        "/phone/passport/sent?bot={}&since={since}",
        request.bot_username
    );
    if let Some(callback_url) = &request.callback_url {
        location.push_str("&callback_url=");
        location.push_str(&encode_uri_component(callback_url).to_string());
    }
    Ok(see_other(&location))
}

pub(super) struct ErrorView {
    element: String,
    message: String,
}

#[derive(Template)]
#[template(path = "passport_sent.html")]
struct SentPage {
    bot_name: String,
    back_href: Option<String>,
    errors: Vec<ErrorView>,
    version: String,
    version_url: String,
}

/// The errors the bot set for `user_id` in its latest `setPassportDataErrors` call at or
/// after `since` (a call replaces the errors before it, as in the app).
fn latest_errors(all: &[PassportErrors], user_id: UserId, since: usize) -> Vec<Value> {
    all.get(since..)
        .unwrap_or_default()
        .iter()
        .rev()
        .find(|entry| entry.user_id == user_id)
        .map(|entry| entry.errors.clone())
        .unwrap_or_default()
}

/// The bot and the `since` a sent page's query names.
fn sent_query(shared: &Shared, fields: &Fields) -> Result<(String, String, usize), PageError> {
    let name = fields.required("bot")?;
    let state = shared.lock();
    let id = state.bot_id(name)?;
    let bot = state
        .bots
        .get(&id)
        .ok_or_else(|| PageError::not_found("No such bot", format!("No bot @{name}.")))?;
    let since = match fields.text("since") {
        Some(since) => since
            .trim()
            .parse::<usize>()
            .map_err(|_| PageError::bad_request("Not a number", "since must be a whole number."))?,
        None => 0,
    };
    Ok((
        bot.user.first_name.clone(),
        bot.user.username.clone().unwrap_or_default(),
        since,
    ))
}

fn errors_fingerprint(errors: &[Value]) -> String {
    fingerprint(&[&Value::Array(errors.to_vec()).to_string()])
}

/// `GET /phone/passport/sent?bot=<username>`.
pub(super) async fn sent(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> PageResult {
    let fields = Fields::of_query(query.as_deref());
    let (bot_name, username, since) = sent_query(&shared, &fields)?;
    let here = format!(
        "/phone/passport/sent?{}",
        query.as_deref().unwrap_or_default()
    );
    let user = phone_user_or_picker(&shared, &headers, &here)?;
    let errors = latest_errors(
        &shared.lock().bot_mut(&username)?.passport_errors,
        user.id,
        since,
    );
    let text = |error: &Value, key: &str| {
        error
            .get(key)
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned()
    };
    Ok(render(&SentPage {
        bot_name,
        back_href: callback_with(fields.text("callback_url"), "success"),
        version: errors_fingerprint(&errors),
        errors: errors
            .iter()
            .map(|error| ErrorView {
                element: element_name(&ElementType::parse(&text(error, "type"))).to_owned(),
                message: text(error, "message"),
            })
            .collect(),
        version_url: format!("/phone/passport/sent/version?bot={username}&since={since}"),
    }))
}

/// `GET /phone/passport/sent/version?bot=&since=`: the fingerprint the sent page polls.
pub(super) async fn sent_version(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, PageError> {
    let fields = Fields::of_query(query.as_deref());
    let (_, username, since) = sent_query(&shared, &fields)?;
    let version = match phone_user(&shared, &headers) {
        Some(user) => errors_fingerprint(&latest_errors(
            &shared.lock().bot_mut(&username)?.passport_errors,
            user.id,
            since,
        )),
        None => String::new(),
    };
    Ok(Json(json!({ "version": version })))
}

/// `GET /phone/passport/sample/<type>-<part>.png`.
pub(super) async fn sample(PathName(file): PathName) -> PageResult {
    let not_found = || PageError::not_found("No such picture", "There is no such sample.");
    let (kind, part) = file
        .strip_suffix(".png")
        .and_then(|name| name.split_once('-'))
        .ok_or_else(not_found)?;
    let kind = ElementType::parse(kind);
    let part = Part::parse(part).ok_or_else(not_found)?;
    if !kind.is_known() {
        return Err(not_found().into());
    }
    let file = sample_file(&kind, part, false)?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/png"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        file.contents,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_scope_forms_read_the_same() {
        let packed = parse_scope(r#"{"v":1,"d":[{"_":["pp","ic"],"s":1},{"_":"pd","n":1},"pn"]}"#)
            .expect("valid in this test");
        let full = parse_scope(
            r#"{"data":[{"one_of":["passport","identity_card"],"selfie":true},
                {"type":"personal_details","native_names":true},"phone_number"],"v":1}"#,
        )
        .expect("valid in this test");
        assert_eq!(packed, full);
        assert!(parse_scope(r#"{"v":1,"d":["idd"]}"#).is_err());
        assert!(parse_scope(r#"{"v":1,"d":[{"_":"pp","x":1}]}"#).is_err());
        assert!(parse_scope("not json").is_err());
        assert!(parse_scope(r#"{"v":2,"d":["pn"]}"#).is_err());
    }

    #[test]
    fn keys_compare_without_their_line_breaks() {
        assert_eq!(
            normalized_key("-----BEGIN PUBLIC KEY-----\nAB\r\nCD\n-----END PUBLIC KEY-----\n"),
            normalized_key("-----BEGIN PUBLIC KEY----- ABCD -----END PUBLIC KEY-----"),
        );
    }
}
