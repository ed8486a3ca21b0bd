//! What the encrypted parts decrypt to: `Credentials { secure_data, nonce }` and the element data
//! (`PersonalDetails`, `IdDocumentData`, `ResidentialAddress`), unknown fields kept.
