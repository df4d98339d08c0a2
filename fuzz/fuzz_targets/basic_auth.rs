//! `greeting_core::parse_basic_auth` on any `Authorization` value (read as the server reads it:
//! lossy UTF-8). Never a panic; accepted credentials round-trip; the masked form the side
//! channel shows beyond loopback never holds the password.
#![no_main]

use greeting_core::{basic_auth_header, mask_authorization, parse_basic_auth};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let header = String::from_utf8_lossy(data);
    let masked = mask_authorization(&header);
    match parse_basic_auth(Some(&header)) {
        Ok(credentials) => {
            assert!(!credentials.username.is_empty());
            assert!(!credentials.username.contains(':'));
            let again = basic_auth_header(&credentials.username, &credentials.password);
            assert_eq!(parse_basic_auth(Some(&again)), Ok(credentials.clone()));
            assert_eq!(masked, format!("Basic <{}:***>", credentials.username));
            // Debug shows the user name and, in place of the password, only `<hidden>`.
            let debug = format!("{credentials:?}");
            let rest = format!(
                "Credentials {{ username: {:?}, password: \"<hidden>\" }}",
                credentials.username
            );
            assert_eq!(debug, rest);
        }
        Err(e) => {
            let _ = e.to_string();
            assert!(masked.ends_with("<hidden>"), "{masked}");
        }
    }
});
