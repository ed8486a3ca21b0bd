//! Sample Passport data for the phone: fictional field values and generated document pictures.
//!
//! Nothing here describes a real person or document: names come from the sandbox user, the
//! rest is invented (a `SB` document number, a `555` phone number, `example.com` mail). The
//! pictures are drawn shapes (a card with a photo box and lines where text would be), the
//! same bytes for the same element and part, a few kilobytes each.

use passport_types::element::ElementType;

/// A file slot of a Passport element.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Part {
    FrontSide,
    ReverseSide,
    Selfie,
    Files,
    Translation,
}

impl Part {
    pub(crate) const ALL: [Part; 5] = [
        Part::FrontSide,
        Part::ReverseSide,
        Part::Selfie,
        Part::Files,
        Part::Translation,
    ];

    /// The Bot API's name of the slot.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Part::FrontSide => "front_side",
            Part::ReverseSide => "reverse_side",
            Part::Selfie => "selfie",
            Part::Files => "files",
            Part::Translation => "translation",
        }
    }

    /// What a person calls it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Part::FrontSide => "Front side",
            Part::ReverseSide => "Reverse side",
            Part::Selfie => "Selfie with the document",
            Part::Files => "Document scan",
            Part::Translation => "Translation",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<Part> {
        Part::ALL.into_iter().find(|part| part.as_str() == text)
    }
}

/// What a person calls an element type.
pub(crate) fn element_name(kind: &ElementType) -> &str {
    match kind {
        ElementType::PersonalDetails => "Personal details",
        ElementType::Passport => "Passport",
        ElementType::DriverLicense => "Driver's license",
        ElementType::IdentityCard => "Identity card",
        ElementType::InternalPassport => "Internal passport",
        ElementType::Address => "Address",
        ElementType::UtilityBill => "Utility bill",
        ElementType::BankStatement => "Bank statement",
        ElementType::RentalAgreement => "Rental agreement",
        ElementType::PassportRegistration => "Passport registration",
        ElementType::TemporaryRegistration => "Temporary registration",
        ElementType::PhoneNumber => "Phone number",
        ElementType::Email => "Email",
        ElementType::Unknown(other) => other,
    }
}

/// One field of an element's form: the key in the element's data (or `phone_number`,
/// `email`), what a person calls it, and its sample value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SampleField {
    pub(crate) key: &'static str,
    pub(crate) label: &'static str,
    pub(crate) value: String,
}

fn field(key: &'static str, label: &'static str, value: impl Into<String>) -> SampleField {
    SampleField {
        key,
        label,
        value: value.into(),
    }
}

/// The fields of an element of `kind` with sample values; `first_name` and `last_name` are
/// the sandbox user's, so the data matches the account.
pub(crate) fn sample_fields(
    kind: &ElementType,
    native_names: bool,
    first_name: &str,
    last_name: &str,
) -> Vec<SampleField> {
    match kind {
        ElementType::PersonalDetails => {
            let mut fields = vec![
                field("first_name", "First name", first_name),
                field("last_name", "Last name", last_name),
                field("middle_name", "Middle name", ""),
                field("birth_date", "Date of birth (DD.MM.YYYY)", "01.02.1990"),
                field("gender", "Gender (male or female)", "female"),
                field("country_code", "Citizenship (country code)", "US"),
                field(
                    "residence_country_code",
                    "Country of residence (country code)",
                    "US",
                ),
            ];
            if native_names {
                fields.extend([
                    field("first_name_native", "First name (native)", first_name),
                    field("last_name_native", "Last name (native)", last_name),
                    field("middle_name_native", "Middle name (native)", ""),
                ]);
            }
            fields
        }
        kind if kind.is_identity_document() => vec![
            field("document_no", "Document number", "SB1234567"),
            field("expiry_date", "Expiry date (DD.MM.YYYY)", "31.12.2034"),
        ],
        ElementType::Address => vec![
            field("street_line1", "Street, line 1", "1 Sample Street"),
            field("street_line2", "Street, line 2", "Apartment 2"),
            field("city", "City", "Springfield"),
            field("state", "State", "IL"),
            field("country_code", "Country (country code)", "US"),
            field("post_code", "Post code", "62701"),
        ],
        ElementType::PhoneNumber => vec![field("phone_number", "Phone number", "+1 555 0100")],
        ElementType::Email => vec![field("email", "Email", "sample@example.com")],
        _ => Vec::new(),
    }
}

const WIDTH: u32 = 240;
const HEIGHT: u32 = 152;

/// Background and accent colours, one pair per element type (by its place in Telegram's
/// order), so that each document looks different.
const PALETTE: [([u8; 3], [u8; 3]); 7] = [
    ([0xdc, 0xec, 0xfb], [0x22, 0x9e, 0xd9]),
    ([0xe3, 0xf4, 0xe1], [0x3d, 0x9a, 0x4c]),
    ([0xfb, 0xe9, 0xd7], [0xd9, 0x7a, 0x22]),
    ([0xef, 0xe3, 0xf7], [0x8e, 0x4c, 0xc2]),
    ([0xfa, 0xe1, 0xe1], [0xc2, 0x3b, 0x3b]),
    ([0xe0, 0xf3, 0xf3], [0x1f, 0x8f, 0x8f]),
    ([0xf3, 0xf0, 0xd9], [0x9a, 0x86, 0x1f]),
];

/// A picture to draw on: RGB, 8 bits a channel.
struct Canvas {
    pixels: Vec<u8>,
}

impl Canvas {
    fn new(color: [u8; 3]) -> Self {
        let count = (WIDTH * HEIGHT) as usize;
        Self {
            pixels: color.iter().copied().cycle().take(count * 3).collect(),
        }
    }

    fn set(&mut self, x: u32, y: u32, color: [u8; 3]) {
        if x < WIDTH && y < HEIGHT {
            let at = ((y * WIDTH + x) * 3) as usize;
            if let Some(pixel) = self.pixels.get_mut(at..at + 3) {
                pixel.copy_from_slice(&color);
            }
        }
    }

    fn rectangle(&mut self, x: u32, y: u32, width: u32, height: u32, color: [u8; 3]) {
        for row in y..y.saturating_add(height) {
            for column in x..x.saturating_add(width) {
                self.set(column, row, color);
            }
        }
    }

    fn disc(&mut self, center_x: u32, center_y: u32, radius: u32, color: [u8; 3]) {
        let r = i64::from(radius);
        for dy in -r..=r {
            for dx in -r..=r {
                if dx * dx + dy * dy <= r * r {
                    let x = i64::from(center_x) + dx;
                    let y = i64::from(center_y) + dy;
                    if let (Ok(x), Ok(y)) = (u32::try_from(x), u32::try_from(y)) {
                        self.set(x, y, color);
                    }
                }
            }
        }
    }

    /// Bars where lines of text would be.
    fn lines(&mut self, x: u32, y: u32, widths: &[u32], color: [u8; 3]) {
        for (index, width) in (0u32..).zip(widths) {
            self.rectangle(x, y + index * 14, *width, 6, color);
        }
    }

    fn png(&self) -> Result<Vec<u8>, png::EncodingError> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, WIDTH, HEIGHT);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header()?;
        writer.write_image_data(&self.pixels)?;
        writer.finish()?;
        Ok(out)
    }
}

const WHITE: [u8; 3] = [0xff, 0xff, 0xff];
const GREY: [u8; 3] = [0x9a, 0xa4, 0xae];
const DARK: [u8; 3] = [0x4a, 0x55, 0x60];
const SKIN: [u8; 3] = [0xe8, 0xc4, 0xa0];

/// The sample picture of `part` of an element of `kind`, as PNG bytes.
pub(crate) fn sample_picture(
    kind: &ElementType,
    part: Part,
) -> Result<Vec<u8>, png::EncodingError> {
    let place = ElementType::KNOWN
        .iter()
        .position(|known| known == kind)
        .unwrap_or_default();
    let (background, accent) = PALETTE[place % PALETTE.len()];
    let mut canvas = Canvas::new(background);
    match part {
        Part::FrontSide => {
            canvas.rectangle(0, 0, WIDTH, 24, accent);
            canvas.lines(12, 9, &[90], WHITE);
            canvas.rectangle(14, 36, 64, 84, GREY);
            canvas.disc(46, 66, 16, SKIN);
            canvas.rectangle(26, 88, 40, 32, DARK);
            canvas.lines(92, 40, &[120, 96, 110, 70, 100], DARK);
            canvas.lines(14, 130, &[210], GREY);
        }
        Part::ReverseSide => {
            canvas.rectangle(0, 0, WIDTH, 12, accent);
            for stripe in 0..40u32 {
                let width = 1 + (stripe * 7 + place as u32) % 3;
                canvas.rectangle(20 + stripe * 5, 30, width, 50, DARK);
            }
            canvas.lines(20, 96, &[180, 150, 160], GREY);
        }
        Part::Selfie => {
            canvas.disc(120, 56, 34, SKIN);
            canvas.disc(108, 50, 4, DARK);
            canvas.disc(132, 50, 4, DARK);
            canvas.rectangle(108, 70, 24, 4, DARK);
            canvas.rectangle(70, 96, 100, 56, accent);
            canvas.rectangle(80, 106, 24, 30, GREY);
            canvas.lines(112, 108, &[48, 40, 44], WHITE);
        }
        Part::Files | Part::Translation => {
            canvas.rectangle(40, 6, 160, 140, WHITE);
            canvas.rectangle(40, 6, 160, 16, accent);
            let widths = [130, 110, 140, 90, 120, 100, 136, 80];
            canvas.lines(52, 32, &widths, GREY);
            if part == Part::Translation {
                canvas.disc(180, 126, 10, accent);
            }
        }
    }
    canvas.png()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_small_deterministic_pngs_that_differ_by_element_and_part() {
        let passport =
            sample_picture(&ElementType::Passport, Part::FrontSide).expect("valid in this test");
        assert_eq!(passport.get(..8), Some(&b"\x89PNG\r\n\x1a\n"[..]));
        assert!(passport.len() < 8 * 1024, "{} bytes", passport.len());
        assert_eq!(
            passport,
            sample_picture(&ElementType::Passport, Part::FrontSide).expect("valid in this test")
        );
        assert_ne!(
            passport,
            sample_picture(&ElementType::IdentityCard, Part::FrontSide)
                .expect("valid in this test")
        );
        assert_ne!(
            passport,
            sample_picture(&ElementType::Passport, Part::Selfie).expect("valid in this test")
        );
    }
}
