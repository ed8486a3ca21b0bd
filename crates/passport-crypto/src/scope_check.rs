//! Checking an opened passport against the requested scope, producing the element errors to
//! send.
//!
//! [`check_scope`] lists what an [`OpenedPassport`] lacks against the [`PassportScope`] the bot
//! asked for: requested elements that are absent (including a `one_of` none of whose documents
//! was sent), a missing selfie, translation, front or reverse side or address document scan,
//! required fields left empty, and documents whose `expiry_date` has passed as of the injected
//! `now`.
//!
//! Problems with an element that was sent become [`PassportElementError`]s, ready for
//! `setPassportDataErrors`: a field problem is a `data` error naming the field and the data's
//! hash; a missing part is an `unspecified` error on the element's hash, since the Bot API has no
//! error for a file that was never sent. An absent element cannot be named in
//! `setPassportDataErrors` at all (there is no hash to point at), so it is listed separately in
//! [`ScopeCheck::missing`]: ask the user again.

use passport_types::decrypted::ElementData;
use passport_types::element::ElementType;
use passport_types::errors::PassportElementError;
use passport_types::scope::{PassportScope, ScopeElement, ScopeElementOne};

use tgauth_core::UnixTime;

use crate::open::{OpenedElement, OpenedPassport};

/// What a passport lacks against a scope.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ScopeCheck {
    /// Requested elements that were not sent: each entry is one scope element, with the types
    /// any of which would satisfy it (one type, or the documents of a `one_of`).
    pub missing: Vec<Vec<ElementType>>,
    /// Errors to send with `setPassportDataErrors` for elements that were sent.
    pub errors: Vec<PassportElementError>,
}

impl ScopeCheck {
    /// Whether the passport satisfies the scope.
    pub fn is_satisfied(&self) -> bool {
        self.missing.is_empty() && self.errors.is_empty()
    }
}

/// A calendar date, for comparing `DD.MM.YYYY` expiry dates with `now`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Date {
    year: i64,
    month: u32,
    day: u32,
}

impl Date {
    /// The UTC date of a Unix time (Howard Hinnant's `civil_from_days`).
    fn from_unix(time: UnixTime) -> Self {
        // |i64| / 86 400 is about 10^14 days, so nothing below can overflow.
        let days = time.as_secs().div_euclid(86_400) + 719_468;
        let era = days.div_euclid(146_097);
        let day_of_era = days.rem_euclid(146_097);
        let year_of_era =
            (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
        let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
        let month_index = (5 * day_of_year + 2) / 153;
        let day = day_of_year - (153 * month_index + 2) / 5 + 1;
        let month = if month_index < 10 {
            month_index + 3
        } else {
            month_index - 9
        };
        let year = year_of_era + era * 400 + i64::from(month <= 2);
        Self {
            year,
            month: u32::try_from(month).unwrap_or(1),
            day: u32::try_from(day).unwrap_or(1),
        }
    }

    /// Parses `DD.MM.YYYY`, as Passport sends dates.
    fn parse(text: &str) -> Option<Self> {
        let mut parts = text.split('.');
        let (day, month, year) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || day.len() != 2 || month.len() != 2 || year.len() != 4 {
            return None;
        }
        let date = Self {
            day: day.parse().ok()?,
            month: month.parse().ok()?,
            year: year.parse().ok()?,
        };
        ((1..=12).contains(&date.month) && (1..=31).contains(&date.day)).then_some(date)
    }
}

/// Checks `passport` against `scope` as of `now`.
pub fn check_scope(scope: &PassportScope, passport: &OpenedPassport, now: UnixTime) -> ScopeCheck {
    let today = Date::from_unix(now);
    let mut check = ScopeCheck::default();
    for requested in &scope.data {
        let (members, selfie, translation): (Vec<&ScopeElementOne>, bool, bool) = match requested {
            ScopeElement::One(one) => (vec![one], one.selfie, one.translation),
            ScopeElement::OneOf(several) => (
                several.one_of.iter().collect(),
                several.selfie,
                several.translation,
            ),
        };
        let sent = members.iter().find_map(|member| {
            passport
                .element(&member.kind)
                .map(|element| (*member, element))
        });
        match sent {
            None => check
                .missing
                .push(members.iter().map(|member| member.kind.clone()).collect()),
            Some((member, element)) => check_element(
                element,
                selfie || member.selfie,
                translation || member.translation,
                today,
                &mut check.errors,
            ),
        }
    }
    check
}

fn check_element(
    element: &OpenedElement,
    selfie: bool,
    translation: bool,
    today: Date,
    errors: &mut Vec<PassportElementError>,
) {
    let kind = &element.kind;
    let mut unspecified = |message: &str| {
        errors.push(PassportElementError::unspecified(
            kind.clone(),
            element.hash.clone(),
            message,
        ));
    };
    if kind.has_front_side() && element.front_side.is_none() {
        unspecified("the front side of the document is missing");
    }
    if kind.has_reverse_side() && element.reverse_side.is_none() {
        unspecified("the reverse side of the document is missing");
    }
    if kind.has_files() && element.files.as_ref().is_none_or(Vec::is_empty) {
        unspecified("a scan of the document is missing");
    }
    if selfie && kind.is_identity_document() && element.selfie.is_none() {
        unspecified("a selfie with the document is required");
    }
    if translation && kind.is_document() && element.translation.as_ref().is_none_or(Vec::is_empty) {
        unspecified("a translation of the document is required");
    }
    let (Some(data), Some(data_hash)) = (&element.data, &element.data_hash) else {
        return;
    };
    let mut field = |name: &str, message: &str| {
        if let Ok(error) =
            PassportElementError::data(kind.clone(), name, data_hash.clone(), message)
        {
            errors.push(error);
        }
    };
    let mut required = |name: &str, value: &str| {
        if value.trim().is_empty() {
            field(name, "this field is required");
        }
    };
    match data {
        ElementData::PersonalDetails(details) => {
            required("first_name", &details.first_name);
            required("last_name", &details.last_name);
            required("birth_date", &details.birth_date);
            required("gender", &details.gender);
            required("country_code", &details.country_code);
            required("residence_country_code", &details.residence_country_code);
        }
        ElementData::IdDocument(document) => {
            required("document_no", &document.document_no);
            // Telegram apps send a document without an expiry date as `"expiry_date": ""`.
            if let Some(expiry) = document.expiry() {
                match Date::parse(expiry) {
                    None => field("expiry_date", "the expiry date is not a valid date"),
                    Some(expiry) if expiry < today => {
                        field("expiry_date", "the document has expired")
                    }
                    Some(_) => {}
                }
            }
        }
        ElementData::Address(address) => {
            required("street_line1", &address.street_line1);
            required("city", &address.city);
            required("country_code", &address.country_code);
            required("post_code", &address.post_code);
        }
    }
}

#[cfg(test)]
mod tests {
    use tgauth_core::UnixTime;

    use super::Date;

    #[test]
    fn civil_dates() {
        let check = |seconds, (year, month, day)| {
            assert_eq!(
                Date::from_unix(UnixTime(seconds)),
                Date { year, month, day }
            );
        };
        check(0, (1970, 1, 1));
        check(951_782_400, (2000, 2, 29));
        check(1_700_000_000, (2023, 11, 14));
        check(4_102_444_799, (2099, 12, 31));
        check(-1, (1969, 12, 31));
        check(-86_400 * 365, (1969, 1, 1));
        // The ends of the range do not overflow.
        let _ = Date::from_unix(UnixTime(i64::MAX));
        let _ = Date::from_unix(UnixTime(i64::MIN));
        assert_eq!(
            Date::parse("01.01.2001"),
            Some(Date {
                year: 2001,
                month: 1,
                day: 1
            })
        );
        assert_eq!(Date::parse("1.1.2001"), None);
        assert_eq!(Date::parse("01.13.2001"), None);
        assert_eq!(Date::parse("01.01.2001.5"), None);
    }
}
