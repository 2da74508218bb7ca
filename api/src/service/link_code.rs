//! Discord link codes as people handle them: how a code is made, how a typed code is
//! read back, and how many wrong codes a Discord user may try.
//!
//! A code is `LKN-` and 16 symbols of Crockford's base32 in groups of four
//! (`LKN-7K3M-Q9TZ-V2HC-8WXD`): 80 random bits, far beyond guessing within a code's
//! ten-minute life. Reading one back forgives what people do when they type: any case,
//! spaces or hyphens anywhere, no `LKN-` prefix, and `O`, `I` and `L` for the digits
//! `0` and `1` they look like. Only the SHA-256 of the normalised symbols is stored.
//!
//! Guessing is limited besides: each attempt is recorded in the database before the
//! code is checked, and a Discord user with [`MAX_FAILED_ATTEMPTS`] failed attempts in
//! the last [`ATTEMPT_WINDOW_MINUTES`] is refused, even with a right code. Being in the
//! database, the limit holds across every lkn-api process and across restarts, and
//! concurrent attempts cannot slip past it: each counts itself and all that came before.

use chrono::{DateTime, Duration, Utc};
use lkn_entity::discord_link_attempt;
use rand::RngCore;
use sea_orm::{ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, Set};

use crate::error::Result;
use crate::service::secret::fingerprint;

/// Crockford's base32 alphabet: digits and letters without I, L, O and U.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// Symbols in a code; each carries 5 bits.
const SYMBOLS: usize = 16;
/// What every code starts with, so that people recognise one.
const PREFIX: &str = "LKN";

/// Failed attempts a Discord user may make within [`ATTEMPT_WINDOW_MINUTES`].
pub const MAX_FAILED_ATTEMPTS: u64 = 5;
/// The window over which failed attempts are counted.
pub const ATTEMPT_WINDOW_MINUTES: i64 = 15;

/// A new code: what to show the member, and what to store.
#[derive(Debug)]
pub struct NewCode {
    /// The code as shown, `LKN-XXXX-XXXX-XXXX-XXXX`.
    pub shown: String,
    /// The stored fingerprint of its symbols.
    pub hash: String,
}

/// Makes a new random code.
pub fn generate() -> NewCode {
    let mut bytes = [0u8; SYMBOLS];
    rand::rng().fill_bytes(&mut bytes);
    // 256 is a multiple of 32, so every symbol is equally likely.
    let symbols: String = bytes.iter().map(|b| char::from(ALPHABET[usize::from(b % 32)])).collect();
    let groups: Vec<&str> = (0..SYMBOLS).step_by(4).map(|start| &symbols[start..start + 4]).collect();
    NewCode { shown: format!("{PREFIX}-{}", groups.join("-")), hash: fingerprint(&symbols) }
}

/// The fingerprint a typed code is stored under, or `None` if it cannot be a code.
pub fn hash_typed(typed: &str) -> Option<String> {
    normalise(typed).map(|symbols| fingerprint(&symbols))
}

/// The code's 16 symbols in canonical form, however it was typed.
fn normalise(typed: &str) -> Option<String> {
    let compact: String =
        typed.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    // The alphabet has no L, so a leading "LKN" is always the prefix.
    let symbols = compact.strip_prefix(PREFIX).unwrap_or(&compact);
    let canonical: String = symbols
        .chars()
        .map(|c| match c {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    let valid = canonical.len() == SYMBOLS && canonical.bytes().all(|b| ALPHABET.contains(&b));
    valid.then_some(canonical)
}

/// An attempt to link, recorded before the code is checked.
#[derive(Debug)]
pub struct Attempt {
    /// Its row, to forget once it turns out not to be a failure.
    pub id: i64,
    /// Whether it is within the limit; if not, the code must not be checked.
    pub allowed: bool,
}

/// Records an attempt by `discord_user_id` (committed at once, outside any
/// transaction, so that concurrent attempts see it) and says whether it is within the
/// limit: counting itself, at most [`MAX_FAILED_ATTEMPTS`] in the window.
pub async fn begin_attempt(db: &impl ConnectionTrait, discord_user_id: &str, now: DateTime<Utc>) -> Result<Attempt> {
    let row = discord_link_attempt::ActiveModel {
        discord_user_id: Set(discord_user_id.to_owned()),
        attempted_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?;
    let recent = discord_link_attempt::Entity::find()
        .filter(discord_link_attempt::Column::DiscordUserId.eq(discord_user_id))
        .filter(discord_link_attempt::Column::AttemptedAt.gt(now - Duration::minutes(ATTEMPT_WINDOW_MINUTES)))
        .count(db)
        .await?;
    Ok(Attempt { id: row.id, allowed: recent <= MAX_FAILED_ATTEMPTS })
}

/// Forgets an attempt that did not fail: it linked, or it was refused unchecked.
/// A success does not forgive earlier failures, or a member could reset their count
/// by linking codes of their own between guesses.
pub async fn forget_attempt(db: &impl ConnectionTrait, attempt: &Attempt) -> Result<()> {
    discord_link_attempt::Entity::delete_by_id(attempt.id).exec(db).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_carries_80_random_bits_in_four_groups() {
        let code = generate();
        assert_eq!(code.shown.len(), "LKN-XXXX-XXXX-XXXX-XXXX".len());
        assert!(code.shown.starts_with("LKN-"));
        assert_eq!(SYMBOLS * 5, 80);
        assert_ne!(generate().shown, code.shown);
        assert_eq!(hash_typed(&code.shown), Some(code.hash));
    }

    #[test]
    fn a_code_typed_in_lower_case_or_without_its_dressing_is_the_same_code() {
        let code = generate();
        let bare = code.shown.replace("LKN-", "").replace('-', "");
        for typed in [
            code.shown.to_lowercase(),
            format!("  {}  ", code.shown),
            bare.clone(),
            bare.to_lowercase(),
            format!(
                "lkn {}",
                bare.chars().collect::<Vec<_>>().chunks(4).map(String::from_iter).collect::<Vec<_>>().join(" ")
            ),
        ] {
            assert_eq!(hash_typed(&typed).as_ref(), Some(&code.hash), "{typed}");
        }
    }

    #[test]
    fn letters_that_look_like_digits_read_as_the_digits() {
        assert_eq!(normalise("LKN-O0I1-L000-0000-0000").as_deref(), Some("0011100000000000"));
    }

    #[test]
    fn what_cannot_be_a_code_is_refused() {
        for typed in
            ["", "LKN-", "LKN-ABCD", "LKN-ABCD-EFGH-JKMN-PQRS-T", "LKN-ABCD-EFGH-JKMN-PQR!", "LKN-ÀBCD-EFGH-JKMN-PQRS"]
        {
            assert_eq!(normalise(typed), None, "{typed}");
        }
    }
}
