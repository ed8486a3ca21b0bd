//! `PassportElementError` in all nine variants, serializing exactly to the Bot API JSON of
//! `setPassportDataErrors`.
