//! The request side: `PassportScope { data, v: 1 }`, its elements (`one_of`, `selfie`,
//! `translation`, `native_names`) and their validation against the spec's tables.
