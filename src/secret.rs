//! Secrets shared by the hub's sign-in and the agent's LAN login: random
//! tokens, argon2id password hashes, constant-time comparison, and the
//! check that keeps a sign-in's `next` on this site.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// The shortest password accepted anywhere.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// A fresh random secret (tokens, session ids, CSRF tokens): 32 bytes, hex.
pub fn random_token() -> String {
    let mut b = [0u8; 32];
    OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// An argon2id hash in PHC form (`$argon2id$v=19$...`), with a fresh salt.
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("password: use at least {MIN_PASSWORD_CHARS} characters"));
    }
    let salt = SaltString::generate(&mut OsRng);
    argon2::Argon2::default().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| format!("password: {e}"))
}

/// Whether `phc` is a password hash this module can verify against.
pub fn is_password_hash(phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| h.algorithm.as_str().starts_with("argon2"))
}

/// Whether `password` matches `phc`; false for a malformed hash.
pub fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|h| argon2::Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// The work of one verification, for answers that must take as long as a
/// real check (unknown user names).
pub fn burn_password_check(password: &str) {
    let _ = argon2::Argon2::default().hash_password(password.as_bytes(), &SaltString::generate(&mut OsRng));
}

/// Compares without stopping at the first difference.
pub fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Only same-site relative paths, so a sign-in cannot redirect elsewhere.
/// Browsers drop tabs and newlines from a URL and read `\\` as `/`, so
/// `/\t/evil.example` would become `//evil.example` (another site): any
/// control character, whitespace or backslash is refused, as is `//`.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n.starts_with("//")
                && n.len() <= 2048
                && !n.chars().any(|c| c == '\\' || c.is_control() || c.is_whitespace()) =>
        {
            n.to_string()
        }
        _ => "/".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_local_and_tokens_compare() {
        assert_eq!(safe_next(Some("/clips/3")), "/clips/3");
        assert_eq!(safe_next(Some("//evil.example")), "/");
        assert_eq!(safe_next(Some("https://evil.example")), "/");
        for evil in ["/\t/evil.example", "/\n/evil.example", "/\r/evil.example", "/ /evil.example", "/\\evil.example", "/\u{0b}/evil"] {
            assert_eq!(safe_next(Some(evil)), "/", "{evil:?}");
        }
        assert_eq!(safe_next(Some("/clips?window=w01&lang=en")), "/clips?window=w01&lang=en");
        assert!(constant_eq(b"abc", b"abc"));
        assert!(!constant_eq(b"abc", b"abd"));
        assert!(!constant_eq(b"", b"a"));
        let (a, b) = (random_token(), random_token());
        assert_eq!(a.len(), 64);
        assert_ne!(a, b);
    }

    /// What a browser makes of a redirect target: tabs and newlines gone,
    /// backslashes as slashes (the WHATWG URL parser).
    fn as_browser_reads(target: &str) -> String {
        target.chars().filter(|c| !matches!(c, '\t' | '\n' | '\r')).map(|c| if c == '\\' { '/' } else { c }).collect()
    }

    proptest::proptest! {
        #[test]
        fn next_never_leaves_the_site(prefix in "[/\\\\\t\n\r a-z.:]{0,6}", rest in "\\PC{0,20}") {
            let target = safe_next(Some(&format!("{prefix}{rest}")));
            let read = as_browser_reads(&target).trim_start().to_string();
            proptest::prop_assert!(read.starts_with('/') && !read.starts_with("//"), "{target:?} reads as {read:?}");
        }
    }

    #[test]
    fn passwords_hash_and_verify() {
        assert!(hash_password("short").unwrap_err().contains("at least 10"));
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(is_password_hash(&h));
        assert!(!h.contains("correct horse"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("anything", "not a hash"));
        assert!(!is_password_hash("plain text password"));
    }
}
