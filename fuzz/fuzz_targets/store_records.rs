//! What the service reads back from its own store, in case a row was altered: a sealed blob
//! opened by the vault under a fixed data key (for each purpose the service seals for), a
//! session row's data and the user in it, a client's URI list. The first byte picks the
//! record; none may panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tgauth_server::fuzzing::{client_uri_list, open_sealed, session_record};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    match selector % 3 {
        0 => {
            let Some((&purpose, sealed)) = rest.split_first() else {
                return;
            };
            let _ = open_sealed(purpose, sealed);
        }
        1 => {
            if let Ok(text) = std::str::from_utf8(rest) {
                let _ = session_record(text);
            }
        }
        _ => {
            if let Ok(text) = std::str::from_utf8(rest) {
                let _ = client_uri_list(text);
            }
        }
    }
});
