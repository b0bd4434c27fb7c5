//! Collectors' accounts: passwords kept as argon2 hashes, bearer tokens that expire (only their
//! SHA-256 is stored, so a copy of the database does not sign anyone in), and the villages an
//! account may submit records for.

use argon2::password_hash::rand_core::{OsRng, RngCore};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use doorstep_core::region::Area;
use thiserror::Error;

/// How long a sign-in lasts: two weeks, so a collector working offline for days is not
/// signed out between two uploads.
pub const SESSION_MILLIS: i64 = 14 * 24 * 3600 * 1000;

/// Why an account could not be made.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum AccountError {
    /// The name is empty, too long or has control characters.
    #[error(
        "the account name must be 1–64 characters without spaces or control characters, not `{0}`"
    )]
    BadName(String),
    /// The password is too short.
    #[error("the password must have at least 8 characters")]
    ShortPassword,
    /// A code is not a village, town or county of the area.
    #[error(
        "`{0}` is not a village, town or county code of the configured area (schemas/regions/)"
    )]
    UnknownArea(String),
    /// No village was given.
    #[error("give at least one village, town or county code")]
    NoVillages,
    /// Hashing failed.
    #[error("cannot hash the password: {0}")]
    Hash(String),
}

/// Checks an account name: what a collector types to sign in.
pub fn check_name(name: &str) -> Result<(), AccountError> {
    let ok = !name.is_empty()
        && name.chars().count() <= 64
        && !name.chars().any(|c| c.is_control() || c.is_whitespace());
    if ok {
        Ok(())
    } else {
        Err(AccountError::BadName(name.to_string()))
    }
}

/// The argon2 hash (PHC string) of a password, with a fresh random salt.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    if password.chars().count() < 8 {
        return Err(AccountError::ShortPassword);
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Whether a password matches a stored hash; a malformed hash matches nothing.
pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

/// A new bearer token: 32 random bytes as hex.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex(&bytes)
}

/// What the database keeps of a token.
pub fn token_hash(token: &str) -> String {
    doorstep_core::protocol::sha256_hex(token.as_bytes())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The villages some codes name: a 12-digit code is a village, a 9-digit code every village
/// of a town, a 6-digit code every village of a county. Each must be in the area.
pub fn expand_villages(area: &Area, codes: &[String]) -> Result<Vec<String>, AccountError> {
    let mut villages = Vec::new();
    for code in codes.iter().map(|c| c.trim()).filter(|c| !c.is_empty()) {
        let before = villages.len();
        if code.len() == 12 {
            if area.contains(code) {
                villages.push(code.to_string());
            }
        } else if matches!(code.len(), 6 | 9) && code.bytes().all(|b| b.is_ascii_digit()) {
            villages.extend(
                area.towns()
                    .flat_map(|t| t.villages.iter())
                    .filter(|v| v.code.starts_with(code))
                    .map(|v| v.code.clone()),
            );
        }
        if villages.len() == before {
            return Err(AccountError::UnknownArea(code.to_string()));
        }
    }
    villages.sort();
    villages.dedup();
    if villages.is_empty() {
        return Err(AccountError::NoVillages);
    }
    Ok(villages)
}

#[cfg(test)]
mod tests {
    use super::*;
    use doorstep_core::region::{RegionList, Town, Village};

    fn area() -> Area {
        let village = |code: &str| Village {
            code: code.into(),
            name: "村".into(),
        };
        Area::new(vec![RegionList {
            county: "330110".into(),
            source: "test".into(),
            towns: vec![
                Town {
                    code: "330110001".into(),
                    name: None,
                    villages: vec![village("330110001001"), village("330110001002")],
                },
                Town {
                    code: "330110002".into(),
                    name: None,
                    villages: vec![village("330110002001")],
                },
            ],
        }])
    }

    #[test]
    fn codes_expand_to_villages_of_the_area() {
        let area = area();
        let codes = |c: &[&str]| c.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            expand_villages(&area, &codes(&["330110001"])),
            Ok(codes(&["330110001001", "330110001002"]))
        );
        assert_eq!(
            expand_villages(&area, &codes(&["330110", "330110002001"])).map(|v| v.len()),
            Ok(3)
        );
        assert_eq!(
            expand_villages(&area, &codes(&["330110009"])),
            Err(AccountError::UnknownArea("330110009".into()))
        );
        assert_eq!(
            expand_villages(&area, &codes(&["330106001001"])),
            Err(AccountError::UnknownArea("330106001001".into()))
        );
        assert_eq!(expand_villages(&area, &[]), Err(AccountError::NoVillages));
    }

    #[test]
    fn passwords_verify_only_against_their_hash() {
        let hash = hash_password("correct horse").expect("hashes");
        assert!(hash.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct hors", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_eq!(hash_password("short"), Err(AccountError::ShortPassword));
        assert_ne!(new_token(), new_token());
        assert_eq!(token_hash("a").len(), 64);
        assert!(check_name("王五").is_ok());
        assert!(check_name("a b").is_err());
    }
}
