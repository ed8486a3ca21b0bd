//! `/passport`: request documents with a scope, watch the request, see what arrived (data and
//! document images), and send typed errors back (`setPassportDataErrors`).
//!
//! A person requests their own documents here (the service acts as its own website); an
//! administrator may open any request. Every view of received data and every file is written
//! to the request's audit log with who looked.

use askama::Template;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tgauth::link::store::Store as _;
use tgauth::passport::types::errors::PassportElementError;
use tgauth::passport::types::scope::PassportScope;
use tower_sessions::Session;

use super::account::NoticeQuery;
use super::{
    Layout, account_of, app_link, form_pairs, form_value, is_admin, notice, qr_code, render,
    require_user, see_other, when,
};
use crate::error::HttpError;
use crate::http::api::{ApiPath, ApiQuery};
use crate::http::passport::{
    create_request, image_type, opened_elements, opened_file, request, send_element_errors,
    write_audit,
};
use crate::sessions::SessionUser;
use crate::state::AppState;
use crate::store::PassportRequestRow;

/// The element types a person can ask for: `(type, label, checked by default)`.
const CHOICES: &[(&str, &str, bool)] = &[
    ("personal_details", "Personal details", true),
    ("passport", "Passport", true),
    ("driver_license", "Driver's license", false),
    ("identity_card", "Identity card", false),
    ("internal_passport", "Internal passport", false),
    ("address", "Residential address", false),
    ("utility_bill", "Utility bill", false),
    ("bank_statement", "Bank statement", false),
    ("rental_agreement", "Rental agreement", false),
    ("passport_registration", "Passport registration", false),
    ("temporary_registration", "Temporary registration", false),
    ("phone_number", "Phone number", false),
    ("email", "Email address", false),
];

const IDENTITY_DOCUMENTS: &[&str] = &[
    "passport",
    "driver_license",
    "identity_card",
    "internal_passport",
];

fn label(kind: &str) -> String {
    CHOICES
        .iter()
        .find(|choice| choice.0 == kind)
        .map_or_else(|| kind.replace('_', " "), |choice| choice.1.to_owned())
}

/// A data field's name as people read it: `birth_date` is "Birth date".
fn field_label(name: &str) -> String {
    let words = name.replace('_', " ");
    let mut chars = words.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => words,
    }
}

/// The session key of a request's Telegram link (sealed: it carries the request's nonce).
fn link_key(id: &str) -> String {
    format!("passport_link:{id}")
}

struct RequestLine {
    id: String,
    created: String,
    status: String,
}

#[derive(Template)]
#[template(path = "passport_new.html")]
struct NewRequestPage {
    layout: Layout,
    bot: String,
    linked: bool,
    choices: &'static [(&'static str, &'static str, bool)],
    requests: Vec<RequestLine>,
}

/// `GET /passport`: the scope form and the person's earlier requests.
pub(crate) async fn new_request(
    State(state): State<AppState>,
    session: Session,
) -> Result<Response, HttpError> {
    let user = match require_user(&session, "/passport").await {
        Ok(user) => user,
        Err(redirect) => return Ok(redirect),
    };
    let account = account_of(&user)?;
    let linked = !state
        .linker
        .store()
        .links_of_account(&account)
        .await
        .map_err(|error| HttpError::unavailable(tgauth::link::Error::from(error)))?
        .is_empty();
    let requests = state
        .db
        .recent_passport_requests(Some(user.telegram_id))
        .await?
        .into_iter()
        .filter(|request| request.account == account.as_str())
        .map(|request| RequestLine {
            created: when(request.created_at),
            status: request.status,
            id: request.id,
        })
        .collect();
    render(&NewRequestPage {
        layout: Layout::new(&state, "Telegram Passport", Some(&user)),
        bot: state.bot_username().to_owned(),
        linked,
        choices: CHOICES,
        requests,
    })
}

/// The scope a form asks for.
fn scope_of(pairs: &[(String, String)]) -> Result<PassportScope, HttpError> {
    let flag = |name: &str| form_value(pairs, name).is_some();
    let mut data = Vec::new();
    for (name, kind) in pairs {
        if name != "element" {
            continue;
        }
        if !CHOICES.iter().any(|choice| choice.0 == kind) {
            return Err(HttpError::bad_request(
                "invalid_scope",
                format!("there is no Passport element called {kind:?}"),
            ));
        }
        let mut element = json!({"type": kind});
        if IDENTITY_DOCUMENTS.contains(&kind.as_str()) {
            if flag("selfie") {
                element["selfie"] = json!(true);
            }
            if flag("translation") {
                element["translation"] = json!(true);
            }
        } else if kind.ends_with("registration")
            || matches!(
                kind.as_str(),
                "utility_bill" | "bank_statement" | "rental_agreement"
            )
        {
            if flag("translation") {
                element["translation"] = json!(true);
            }
        } else if kind == "personal_details" && flag("native_names") {
            element["native_names"] = json!(true);
        }
        data.push(element);
    }
    if data.is_empty() {
        return Err(HttpError::bad_request(
            "invalid_scope",
            "choose at least one thing to ask for",
        ));
    }
    serde_json::from_value(json!({"v": 1, "data": data})).map_err(|error| {
        HttpError::bad_request(
            "invalid_scope",
            format!("the request is not valid: {error}"),
        )
    })
}

/// `POST /passport`: makes the request and shows it.
pub(crate) async fn create(
    State(state): State<AppState>,
    session: Session,
    body: Bytes,
) -> Result<Response, HttpError> {
    let user = match require_user(&session, "/passport").await {
        Ok(user) => user,
        Err(redirect) => return Ok(redirect),
    };
    let scope = scope_of(&form_pairs(&body))?;
    let account = account_of(&user)?;
    let public_url = state.config.public_url.clone();
    let created = create_request(&state, &account, scope, |id| {
        Some(format!("{public_url}/passport/{id}"))
    })
    .await?;
    let sealed = state
        .vault
        .seal(&link_key(&created.id), created.url.as_bytes())?;
    session
        .insert(&link_key(&created.id), hex::encode(sealed))
        .await
        .map_err(HttpError::internal)?;
    Ok(see_other(&format!("/passport/{}", created.id)))
}

/// A request the logged-in person may see (their own, or any for an administrator), and who
/// they are in the audit log; anything else is not found.
async fn visible_request(
    state: &AppState,
    user: &SessionUser,
    id: &str,
) -> Result<(PassportRequestRow, String), HttpError> {
    let request = request(state, id).await?;
    let own =
        request.telegram_id == user.telegram_id && request.account == account_of(user)?.as_str();
    if own {
        Ok((request, format!("telegram:{}", user.telegram_id)))
    } else if is_admin(state, user) {
        Ok((request, format!("admin:{}", user.telegram_id)))
    } else {
        Err(HttpError::not_found("Passport request"))
    }
}

struct ElementView {
    kind: String,
    title: String,
    /// `(name, label, value)`.
    fields: Vec<(String, String, String)>,
    /// `(url, what it shows)`.
    images: Vec<(String, String)>,
}

#[derive(Template)]
#[template(path = "passport_show.html")]
struct ShowPage {
    layout: Layout,
    id: String,
    status: String,
    status_text: String,
    asked: String,
    created: String,
    expires: String,
    link: Option<String>,
    qr: Option<String>,
    missing: Vec<String>,
    elements: Vec<ElementView>,
    /// `(value, label)` of what an error can name.
    targets: Vec<(String, String)>,
    /// `(actor, action, when)`.
    audit: Vec<(String, String, String)>,
}

/// `GET /passport/{id}`: the request as it stands; it looks again by itself while it waits.
pub(crate) async fn show(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<String>,
    ApiQuery(query): ApiQuery<NoticeQuery>,
) -> Result<Response, HttpError> {
    let user = match require_user(&session, &format!("/passport/{id}")).await {
        Ok(user) => user,
        Err(redirect) => return Ok(redirect),
    };
    let (request, actor) = visible_request(&state, &user, &id).await?;
    let now = state.now();
    let open =
        matches!(request.status.as_str(), "pending" | "rejected") && now < request.expires_at;
    let status_text = match request.status.as_str() {
        "pending" if open => "Waiting for the documents from Telegram…".to_owned(),
        "pending" => "Expired before anything arrived: make a new request.".to_owned(),
        "received" => format!(
            "Received {}.",
            request.received_at.map(when).unwrap_or_default()
        ),
        "rejected" => "Refused: what arrived did not answer the request. The person was told what to fix in Telegram and can send it again.".to_owned(),
        "erased" => "Erased: the documents are gone.".to_owned(),
        other => other.to_owned(),
    };
    let link = if open {
        session
            .get::<String>(&link_key(&request.id))
            .await
            .ok()
            .flatten()
            .and_then(|sealed| hex::decode(sealed).ok())
            .and_then(|sealed| state.vault.open(&link_key(&request.id), &sealed).ok())
            .and_then(|url| String::from_utf8(url.to_vec()).ok())
            .map(|url| app_link(&state, &url))
    } else {
        None
    };
    let asked = serde_json::from_str::<PassportScope>(&request.scope)
        .map(|scope| {
            scope
                .types()
                .map(|kind| label(kind.as_str()))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let missing: Vec<String> = request
        .missing
        .as_deref()
        .and_then(|missing| serde_json::from_str::<Vec<Value>>(missing).ok())
        .unwrap_or_default()
        .iter()
        .map(|item| match item {
            Value::String(kind) => label(kind),
            other => other.to_string(),
        })
        .collect();
    let opened = opened_elements(&state, &request)?;
    let files = if request.sealed_data.is_some() {
        state.db.passport_files(&request.id).await?
    } else {
        Vec::new()
    };
    let mut elements = Vec::new();
    let mut targets = Vec::new();
    for element in opened.as_array().into_iter().flatten() {
        let kind = element["type"].as_str().unwrap_or_default().to_owned();
        let title = label(&kind);
        let mut fields = Vec::new();
        if let Some(data) = element["data"].as_object() {
            for (name, value) in data {
                let value = match value {
                    Value::String(text) => text.clone(),
                    Value::Null => continue,
                    other => other.to_string(),
                };
                fields.push((name.clone(), field_label(name), value));
            }
        }
        for name in ["phone_number", "email"] {
            if let Some(value) = element[name].as_str() {
                fields.push((name.to_owned(), field_label(name), value.to_owned()));
            }
        }
        let images = files
            .iter()
            .filter(|file| file.element == kind)
            .map(|file| {
                (
                    format!("/passport/{}/files/{}", request.id, file.index),
                    file.part.replace('_', " "),
                )
            })
            .collect();
        if element.get("data_hash").is_some() {
            targets.push((format!("data|{kind}"), format!("{title}: a data field")));
        }
        for (part, words) in [
            ("front_side", "the front side"),
            ("reverse_side", "the reverse side"),
            ("selfie", "the selfie"),
            ("files", "the files"),
            ("translation", "the translation"),
        ] {
            if !element[part].is_null() {
                let source = if part == "translation" {
                    "translation_files"
                } else {
                    part
                };
                targets.push((format!("{source}|{kind}"), format!("{title}: {words}")));
            }
        }
        targets.push((
            format!("unspecified|{kind}"),
            format!("{title}: the whole element"),
        ));
        elements.push(ElementView {
            kind,
            title,
            fields,
            images,
        });
    }
    if !elements.is_empty() {
        write_audit(&state, &request.id, &actor, "read").await?;
    }
    let audit = state
        .db
        .audit_log(&request.id)
        .await?
        .into_iter()
        .map(|(actor, action, at)| (actor, action, when(at)))
        .collect();
    let mut layout = Layout::new(&state, "Passport request", Some(&user));
    layout.notice = notice(query.done.as_deref());
    if open {
        layout.refresh_seconds = 2;
    }
    let qr = link.as_deref().and_then(qr_code);
    render(&ShowPage {
        layout,
        id: request.id,
        status: request.status,
        status_text,
        asked,
        created: when(request.created_at),
        expires: when(request.expires_at),
        link,
        qr,
        missing,
        elements,
        targets,
        audit,
    })
}

/// `GET /passport/{id}/files/{index}`: a decrypted document image.
pub(crate) async fn file(
    State(state): State<AppState>,
    session: Session,
    ApiPath((id, index)): ApiPath<(String, String)>,
) -> Result<Response, HttpError> {
    let Some(user) = super::logged_in(&session).await else {
        return Err(HttpError::unauthorized("not_logged_in", "log in first"));
    };
    let (request, actor) = visible_request(&state, &user, &id).await?;
    let contents = opened_file(&state, &request, &index).await?;
    write_audit(&state, &request.id, &actor, &format!("file {index}")).await?;
    Ok((
        [
            (header::CONTENT_TYPE, image_type(&contents)),
            (header::CACHE_CONTROL, "no-store"),
        ],
        contents.to_vec(),
    )
        .into_response())
}

/// The `PassportElementError` a form names, with the hashes of what arrived.
fn element_error(opened: &Value, pairs: &[(String, String)]) -> Result<Value, HttpError> {
    let bad = |message: &str| HttpError::bad_request("invalid_errors", message.to_owned());
    let target = form_value(pairs, "target").ok_or_else(|| bad("choose what is wrong"))?;
    let message = form_value(pairs, "message")
        .map(str::trim)
        .filter(|message| !message.is_empty() && message.chars().count() <= 200)
        .ok_or_else(|| bad("write a message of 1 to 200 characters for the person"))?;
    let (source, kind) = target
        .split_once('|')
        .ok_or_else(|| bad("choose what is wrong from the list"))?;
    let element = opened
        .as_array()
        .into_iter()
        .flatten()
        .find(|element| element["type"] == kind)
        .ok_or_else(|| bad("that element did not arrive"))?;
    let file_hashes = |part: &str| -> Vec<Value> {
        element[part]
            .as_array()
            .into_iter()
            .flatten()
            .map(|file| file["file_hash"].clone())
            .collect()
    };
    let error = match source {
        "data" => {
            let field = form_value(pairs, "field_name")
                .map(str::trim)
                .filter(|field| !field.is_empty())
                .ok_or_else(|| bad("name the data field that is wrong, such as first_name"))?;
            if element["data"].get(field).is_none() {
                return Err(bad("that element has no such field"));
            }
            json!({"source": "data", "type": kind, "field_name": field,
                   "data_hash": element["data_hash"], "message": message})
        }
        "front_side" | "reverse_side" | "selfie" => json!({"source": source, "type": kind,
            "file_hash": element[source]["file_hash"], "message": message}),
        "files" => json!({"source": "files", "type": kind,
            "file_hashes": file_hashes("files"), "message": message}),
        "translation_files" => json!({"source": "translation_files", "type": kind,
            "file_hashes": file_hashes("translation"), "message": message}),
        "unspecified" => json!({"source": "unspecified", "type": kind,
            "element_hash": element["hash"], "message": message}),
        _ => return Err(bad("choose what is wrong from the list")),
    };
    Ok(error)
}

/// `POST /passport/{id}/errors`: one typed error to the person, who sees it in Telegram.
pub(crate) async fn send_errors(
    State(state): State<AppState>,
    session: Session,
    ApiPath(id): ApiPath<String>,
    body: Bytes,
) -> Result<Response, HttpError> {
    let user = match require_user(&session, &format!("/passport/{id}")).await {
        Ok(user) => user,
        Err(redirect) => return Ok(redirect),
    };
    let (request, actor) = visible_request(&state, &user, &id).await?;
    let opened = opened_elements(&state, &request)?;
    let error = element_error(&opened, &form_pairs(&body))?;
    let error: PassportElementError = serde_json::from_value(error).map_err(|reason| {
        HttpError::bad_request(
            "invalid_errors",
            format!("the error cannot be sent: {reason}"),
        )
    })?;
    send_element_errors(&state, &request, std::slice::from_ref(&error)).await?;
    write_audit(&state, &request.id, &actor, "errors sent: 1").await?;
    Ok(see_other(&format!(
        "/passport/{}?done=errors_sent",
        request.id
    )))
}
