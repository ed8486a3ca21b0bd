//! Opening `PassportData`: the credentials secret, then every data element and file matched to its credentials.
