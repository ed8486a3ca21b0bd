//! Checking an opened passport against the requested scope, producing the element errors to send.
